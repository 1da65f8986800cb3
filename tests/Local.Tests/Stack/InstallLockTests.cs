using System.Diagnostics;
using GenAiServerless.Local.Stack;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>Two fixtures of one test run (or two CLI processes) starting Azurite on a fresh machine both find it not
/// installed: the later one must wait for the first one's install, not fail because the lock file is taken.</summary>
public sealed class InstallLockTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("genai-lock-").FullName;

    string LockFile => Path.Combine(folder, ".install.lock");

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task AcquireAsync_HeldInThisProcess_WaitsForTheHolder()
    {
        InstallLock first = await InstallLock.AcquireAsync(LockFile, TimeSpan.FromMinutes(1), CancellationToken.None);
        Task<InstallLock> second = InstallLock.AcquireAsync(LockFile, TimeSpan.FromMinutes(1), CancellationToken.None);
        await Task.Delay(300);
        Assert.False(second.IsCompleted);

        await first.DisposeAsync();
        await using InstallLock taken = await second.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AcquireAsync_HeldByAnotherProcess_WaitsUntilItLetsGo()
    {
        // flock(1) takes the same advisory lock .NET takes for FileShare.None.
        using Process holder = StartHolder(seconds: 2);
        var waited = Stopwatch.StartNew();
        await using (await InstallLock.AcquireAsync(LockFile, TimeSpan.FromMinutes(1), CancellationToken.None))
        {
            Assert.True(holder.HasExited, "the lock was taken while the other process still held it");
        }

        Assert.True(waited.Elapsed > TimeSpan.FromSeconds(1), $"took the lock after {waited.Elapsed}");
    }

    [Fact]
    public async Task AcquireAsync_HolderNeverLetsGo_TimesOutNamingTheFile()
    {
        using Process holder = StartHolder(seconds: 30);
        try
        {
            var e = await Assert.ThrowsAsync<TimeoutException>(() => InstallLock.AcquireAsync(LockFile, TimeSpan.FromMilliseconds(500), CancellationToken.None));
            Assert.Contains(LockFile, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }

        // This process's own turn was given back: the next caller gets the lock at once.
        await using InstallLock after = await InstallLock.AcquireAsync(LockFile, TimeSpan.FromSeconds(30), CancellationToken.None);
    }

    Process StartHolder(int seconds)
    {
        var psi = new ProcessStartInfo("flock") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string a in new[] { LockFile, "sh", "-c", $"echo held; sleep {seconds}" })
        {
            psi.ArgumentList.Add(a);
        }

        Process holder = Process.Start(psi)!;
        Assert.Equal("held", holder.StandardOutput.ReadLine());
        return holder;
    }
}
