using System.Collections.Concurrent;
using Azure;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Assets;
using GenAiServerless.AzureMlEmulator.Processes;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>Runs Command jobs as Azure ML would, in miniature: NotStarted → Queued → Preparing (code and inputs) →
/// Running (<c>/bin/sh -c</c> in the code folder, its own process group) → Finalizing (outputs uploaded) → Completed
/// or Failed by exit code. A cancel ends Canceled; a preemption kills the process group, uploads the outputs and
/// either requeues the same command with the same mounts (Running → Queued → Preparing → Running, what Azure ML does
/// with a preempted low-priority job) or fails the job.</summary>
sealed partial class JobRunner(EmulatorContext emulator, AssetRegistry assets, StorageLocations locations, MountTable mounts, ChildProcesses processes,
    OperationStore operations, TimeProvider clock, ILogger<JobRunner> logger)
{
    const int StderrTailLines = 20;
    readonly ConcurrentBag<Task> runs = [];

    AzureMlEmulatorOptions Options => emulator.Options;

    public void Start(EmulatedJob job) => runs.Add(Task.Run(() => RunAsync(job)));

    /// <summary>Waits (bounded) for every run to end, after the emulator stopped and killed the processes.</summary>
    public Task DrainAsync() => Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);

    /// <summary>Kills a running job's process group as a preemption would; false when the job is not running.</summary>
    public bool Preempt(EmulatedJob job, JobInterruption mode)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (job.Gate)
        {
            if (job.Process is not { } process || !string.Equals(job.Status, "Running", StringComparison.Ordinal) || job.Interruption != JobInterruption.None)
            {
                return false;
            }

            job.Interruption = mode;
            Log.Preempting(logger, job.Name, job.Attempt, mode);
            process.KillGroup();
            return true;
        }
    }

    /// <summary>Asks a job to stop: CancelRequested now, Canceled once its process is gone. False when already ended.</summary>
    public bool Cancel(EmulatedJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        lock (job.Gate)
        {
            if (job.IsTerminal)
            {
                return false;
            }

            job.CancelRequested = true;
            job.SetStatus("CancelRequested", clock.GetUtcNow());
            if (job.Process is { } process)
            {
                job.Interruption = JobInterruption.Cancel;
                process.KillGroup();
            }

            return true;
        }
    }

    async Task RunAsync(EmulatedJob job)
    {
        try
        {
            await RunAttemptsAsync(job, emulator.Stopping);
        }
        catch (OperationCanceledException) when (emulator.Stopping.IsCancellationRequested)
        {
            // the emulator is shutting down; its processes were killed
        }
#pragma warning disable CA1031 // a run must end in a terminal status whatever went wrong, and say why
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.RunFailed(logger, job.Name, e);
            End(job, "Failed", $"emulator error: {e.Message}");
        }
        finally
        {
            if (job.CancelOperation is { } cancel)
            {
                operations.Finish(cancel, null);
            }
        }
    }

    async Task RunAttemptsAsync(EmulatedJob job, CancellationToken stopping)
    {
        while (true)
        {
            lock (job.Gate)
            {
                job.Attempt++;
            }

            Advance(job, "Queued");
            await Task.Delay(job.Attempt == 1 ? Options.JobQueueTime : Options.PreemptedQueueTime, stopping);
            if (job.CancelRequested)
            {
                End(job, "Canceled", null);
                return;
            }

            Advance(job, "Preparing");
            JobAttempt attempt;
            try
            {
                attempt = await JobAttempt.PrepareAsync(job, emulator, assets, locations, mounts, stopping);
            }
            catch (Exception e) when (e is JobPreparationException or ArmException or RequestFailedException)
            {
                End(job, "Failed", $"preparing attempt {job.Attempt} failed: {e.Message}");
                return;
            }

            JobInterruption why;
            int exitCode;
            bool canceled;
            lock (job.Gate)
            {
                job.AttemptFolder = attempt.Folder;
                job.OutputFolders = attempt.Outputs.ToDictionary(o => o.Name, o => o.LocalFolder, StringComparer.Ordinal);
                canceled = job.CancelRequested;
            }

            if (canceled)
            {
                End(job, "Canceled", null);
                return;
            }

            (ChildProcess process, Task logs) = StartProcess(job, attempt);
            using (process)
            {
                lock (job.Gate)
                {
                    job.Process = process;
                    job.Interruption = JobInterruption.None;
                }

                Advance(job, "Running");
                using var timeout = new CancellationTokenSource();
                if (RequestBody.Duration(RequestBody.Object(job.Properties, "limits"), "timeout", "limits.timeout") is { } limit)
                {
                    timeout.CancelAfter(limit);
                }

                using CancellationTokenRegistration onTimeout = timeout.Token.Register(() => Interrupt(job, JobInterruption.Timeout));
                using CancellationTokenRegistration onStop = stopping.Register(process.KillGroup);
                exitCode = await process.Exited;
                await logs.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { }, TaskScheduler.Default);
                lock (job.Gate)
                {
                    why = job.CancelRequested ? JobInterruption.Cancel : job.Interruption;
                    job.Interruption = JobInterruption.None;
                    job.Process = null;
                    job.ExitCode = exitCode;
                }
            }

            job.StderrTail = Tail(job.StderrPath);
            stopping.ThrowIfCancellationRequested();
            if (why == JobInterruption.None)
            {
                Advance(job, "Finalizing");
            }

            try
            {
                await attempt.UploadOutputsAsync(stopping);
            }
            catch (RequestFailedException e)
            {
                End(job, "Failed", $"uploading the outputs of attempt {job.Attempt} failed: {e.Message}");
                return;
            }

            switch (why)
            {
                case JobInterruption.PreemptRequeue:
                    continue; // same command, same mounts, a new attempt
                case JobInterruption.PreemptFail:
                    End(job, "Failed", "PreemptionError: the low-priority node running the job was preempted.");
                    return;
                case JobInterruption.Cancel:
                    End(job, "Canceled", null);
                    return;
                case JobInterruption.Timeout:
                    End(job, "Failed", "the job ran longer than limits.timeout and was stopped.");
                    return;
                default:
                    End(job, exitCode == 0 ? "Completed" : "Failed", exitCode == 0 ? null : $"the command exited with code {exitCode}.");
                    return;
            }
        }
    }

    (ChildProcess Process, Task Logs) StartProcess(EmulatedJob job, JobAttempt attempt)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string name, System.Text.Json.Nodes.JsonNode? value) in RequestBody.Object(job.Properties, "environmentVariables") ?? [])
        {
            environment[name] = value?.ToString();
        }

        string inheritedPath = environment.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        environment["PATH"] = $"{emulator.Folder("bin")}:{inheritedPath}";
        environment["AZUREML_RUN_ID"] = job.Name;
        ChildProcess process = processes.Start("/bin/sh", ["-c", attempt.Command], attempt.CodeFolder, environment, redirectStandardInput: false);
        Task logs = Task.WhenAll(
            ChildProcesses.PumpAsync(process.Process.StandardOutput.BaseStream, job.StdoutPath),
            ChildProcesses.PumpAsync(process.Process.StandardError.BaseStream, job.StderrPath));
        return (process, logs);
    }

    static void Interrupt(EmulatedJob job, JobInterruption why)
    {
        lock (job.Gate)
        {
            if (job.Process is { } process && job.Interruption == JobInterruption.None)
            {
                job.Interruption = why;
                process.KillGroup();
            }
        }
    }

    /// <summary>A non-terminal status; ignored once a cancel was asked for (the job stays CancelRequested).</summary>
    void Advance(EmulatedJob job, string status)
    {
        lock (job.Gate)
        {
            if (!job.CancelRequested)
            {
                job.SetStatus(status, clock.GetUtcNow());
                Log.StatusChanged(logger, job.Name, status, job.Attempt);
            }
        }
    }

    void End(EmulatedJob job, string status, string? failure)
    {
        lock (job.Gate)
        {
            job.Failure = failure;
            job.SetStatus(status, clock.GetUtcNow());
        }

        Log.StatusChanged(logger, job.Name, status, job.Attempt);
    }

    static string? Tail(string file)
    {
        try
        {
            return File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(StderrTailLines)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: {Status} (attempt {Attempt})")]
        public static partial void StatusChanged(ILogger logger, string job, string status, int attempt);

        [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: preempting attempt {Attempt} ({Mode})")]
        public static partial void Preempting(ILogger logger, string job, int attempt, JobInterruption mode);

        [LoggerMessage(Level = LogLevel.Error, Message = "job {Job}: the emulator failed to run it")]
        public static partial void RunFailed(ILogger logger, string job, Exception exception);
    }
}
