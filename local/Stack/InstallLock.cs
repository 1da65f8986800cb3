namespace GenAiServerless.Local.Stack;

/// <summary>An exclusive lock on a file that waits for its holder instead of failing: threads of this process queue
/// on a semaphore, other processes on the file (an advisory lock the OS drops when its holder dies, even killed).</summary>
/// <remarks>Used where two fixtures of one test run, or two CLI processes, may install into the same folder at once:
/// the later one must wait for the first and then find the install done, not fail.</remarks>
public sealed class InstallLock : IAsyncDisposable
{
    static readonly SemaphoreSlim InProcess = new(1, 1);
    static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(50);
    static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(1);

    readonly FileStream file;

    InstallLock(FileStream file) => this.file = file;

    /// <summary>Takes the lock on <paramref name="path"/>, waiting up to <paramref name="timeout"/> for its holder.</summary>
    /// <exception cref="TimeoutException">Another process held it for longer than <paramref name="timeout"/>.</exception>
    public static async Task<InstallLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        if (!await InProcess.WaitAsync(timeout, cancellationToken))
        {
            throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {path}, held by this process");
        }

        try
        {
            TimeSpan retry = FirstRetry;
            while (true)
            {
                try
                {
                    return new InstallLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    // another process holds it
                }
                catch (IOException e)
                {
                    throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {path}, held by another process", e);
                }

                await Task.Delay(retry, cancellationToken);
                retry = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, retry.Ticks * 2));
            }
        }
        catch
        {
            InProcess.Release();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await file.DisposeAsync();
        InProcess.Release();
    }
}
