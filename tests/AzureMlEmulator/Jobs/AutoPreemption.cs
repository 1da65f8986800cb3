using System.Text.Json;
using System.Text.RegularExpressions;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>What a preemption does to the job: requeue it (the same command runs again) or fail it.</summary>
public enum PreemptionMode
{
    Requeue,
    Fail,
}

/// <summary>How often an automatic preemption fires: once per job id, or once per job-id prefix (so that the
/// resubmitted attempt of a job, whose id differs only by its suffix, is left to finish).</summary>
public enum AutoPreemptionScope
{
    Job,
    JobIdPrefix,
}

/// <summary>Emulator-only: preempt a running low-priority job when a <c>progress.json</c> (<c>{"step","totalSteps"}</c>)
/// at the root of one of its output folders reaches <see cref="AtProgress"/>.</summary>
public sealed class AutoPreemptionOptions
{
    /// <summary>Required. The fraction step/totalSteps at or past which the job is preempted, in (0, 1].</summary>
    public double AtProgress { get; set; }

    public PreemptionMode Mode { get; set; } = PreemptionMode.Requeue;

    public AutoPreemptionScope OncePer { get; set; } = AutoPreemptionScope.Job;

    /// <summary>For <see cref="AutoPreemptionScope.JobIdPrefix"/>: group 1 of this regex on the job id is the prefix
    /// (default: the id without a trailing <c>-N</c> or <c>_N</c>).</summary>
    public string JobIdPrefixPattern { get; set; } = @"^(.+?)(?:[-_]\d+)?$";
}

/// <summary>Watches the running low-priority jobs' progress files and preempts them as configured.</summary>
sealed class AutoPreemption(EmulatorContext emulator, JobStore jobs, JobRunner runner)
{
    readonly Lock gate = new();
    readonly HashSet<string> fired = new(StringComparer.Ordinal);
    AutoPreemptionOptions? settings = emulator.Options.AutoPreemption;

    public AutoPreemptionOptions? Settings
    {
        get
        {
            lock (gate)
            {
                return settings;
            }
        }
    }

    public void Configure(AutoPreemptionOptions? options)
    {
        if (options is { AtProgress: <= 0 or > 1 })
        {
            throw new ArgumentOutOfRangeException(nameof(options), "atProgress must lie in (0, 1].");
        }

        lock (gate)
        {
            settings = options;
            fired.Clear();
        }
    }

    public async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(emulator.Options.ProgressPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(emulator.Stopping))
            {
                Check();
            }
        }
        catch (OperationCanceledException)
        {
            // the emulator stopped
        }
    }

    void Check()
    {
        AutoPreemptionOptions? options = Settings;
        if (options is null)
        {
            return;
        }

        foreach (EmulatedJob job in jobs.Running().Where(j => j.LowPriority))
        {
            string key = options.OncePer == AutoPreemptionScope.Job
                ? $"{job.Scope.Key}/{job.Name}"
                : $"{job.Scope.Key}/{Prefix(job.Name, options.JobIdPrefixPattern)}";
            lock (gate)
            {
                if (fired.Contains(key))
                {
                    continue;
                }
            }

            if (Progress(job) is { } progress && progress >= options.AtProgress
                && runner.Preempt(job, options.Mode == PreemptionMode.Requeue ? JobInterruption.PreemptRequeue : JobInterruption.PreemptFail))
            {
                lock (gate)
                {
                    fired.Add(key);
                }
            }
        }
    }

    static double? Progress(EmulatedJob job)
    {
        double? best = null;
        foreach (string folder in job.OutputFolders.Values)
        {
            string file = Path.Combine(folder, "progress.json");
            try
            {
                if (!File.Exists(file))
                {
                    continue;
                }

                using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
                if (doc.RootElement.TryGetProperty("step", out JsonElement step) && doc.RootElement.TryGetProperty("totalSteps", out JsonElement total)
                    && step.TryGetDouble(out double s) && total.TryGetDouble(out double t) && t > 0)
                {
                    best = Math.Max(best ?? 0, s / t);
                }
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
                // being written right now: read it on the next tick
            }
        }

        return best;
    }

    static string Prefix(string jobId, string pattern)
    {
        Match m = Regex.Match(jobId, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return m.Success && m.Groups.Count > 1 && m.Groups[1].Success ? m.Groups[1].Value : jobId;
    }
}
