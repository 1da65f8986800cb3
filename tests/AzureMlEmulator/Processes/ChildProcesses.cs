using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace GenAiServerless.AzureMlEmulator.Processes;

/// <summary>A process the emulator started as the leader of its own process group (through <c>setsid</c>), so that a
/// kill reaches everything it spawned. The group is killed once more right after the leader exits (a container's
/// teardown), and never again: a process group id is only ours while our leader or its children hold it.</summary>
sealed partial class ChildProcess : IDisposable
{
    const int SigKill = 9;
    readonly Lock gate = new();
    bool groupGone;

    ChildProcess(Process process)
    {
        Process = process;
        Exited = WaitAsync();
    }

    public Process Process { get; }

    public int Id => Process.Id;

    /// <summary>Completes with the exit code once the leader has exited and its group was torn down.</summary>
    public Task<int> Exited { get; }

    /// <summary>Starts <c>setsid file args…</c>: setsid execs in place (our child is no group leader), so the pid we
    /// get is the new group's id.</summary>
    public static ChildProcess Start(string file, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment, bool redirectStandardInput)
    {
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add(file);
        foreach (string argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach ((string name, string? value) in environment)
        {
            psi.Environment[name] = value;
        }

        Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        if (!redirectStandardInput)
        {
            process.StandardInput.Close(); // the program reads EOF, as in a job's container
        }

        return new ChildProcess(process);
    }

    /// <summary>SIGKILLs the whole group (no-op once the group was torn down).</summary>
    public void KillGroup()
    {
        lock (gate)
        {
            if (groupGone)
            {
                return;
            }

            if (Kill(-Process.Id, SigKill) != 0 && !Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }
        }
    }

    async Task<int> WaitAsync()
    {
        await Process.WaitForExitAsync();
        KillGroup(); // background children of the command die with it, as when a container stops
        lock (gate)
        {
            groupGone = true;
        }

        return Process.ExitCode;
    }

    public void Dispose() => Process.Dispose();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Every process group one emulator started, so that dispose can kill exactly those (by their own ids).</summary>
sealed class ChildProcesses : IDisposable
{
    readonly ConcurrentDictionary<int, ChildProcess> live = new();

    public ChildProcess Start(string file, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment, bool redirectStandardInput)
    {
        ChildProcess child = ChildProcess.Start(file, arguments, workingDirectory, environment, redirectStandardInput);
        live[child.Id] = child;
        _ = child.Exited.ContinueWith(_ => live.TryRemove(child.Id, out ChildProcess? _), TaskScheduler.Default);
        return child;
    }

    public void Dispose()
    {
        foreach (ChildProcess child in live.Values)
        {
            child.KillGroup();
        }

        foreach (ChildProcess child in live.Values)
        {
            child.Exited.Wait(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>Copies a stream to a file until EOF (the file is flushed line by line for tailing).</summary>
    public static async Task PumpAsync(Stream source, string file)
    {
        await using var target = new FileStream(file, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
        byte[] buffer = new byte[8192];
        int read;
        while ((read = await source.ReadAsync(buffer)) > 0)
        {
            await target.WriteAsync(buffer.AsMemory(0, read));
            await target.FlushAsync();
        }
    }
}
