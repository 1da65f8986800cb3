using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;
using GenAiServerless.Training;
using GenAiServerless.Training.Components;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Local.Training;

/// <summary>Where the local backend keeps its jobs and how it starts the job contract's command.</summary>
public sealed class LocalJobOptions
{
    /// <summary>Folder holding one sub-folder per job and one per checkpoint key.</summary>
    public string JobsRoot { get; set; } = Path.Combine(".genai", "jobs");

    /// <summary>The Python a component's <c>python</c> means: one with PyTorch (Debian's python3-torch lives in
    /// <c>/usr/bin/python3</c>; the <c>python3</c> first on a developer's PATH may lack it).</summary>
    public string Python { get; set; } = DefaultPython;

    /// <summary>Debian's <c>/usr/bin/python3</c> where it exists, else the <c>python3</c> on the PATH.</summary>
    public static string DefaultPython => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>Spot evictions per simulated hour of running time (a constant hazard); null injects none by rate.</summary>
    [Range(double.Epsilon, double.MaxValue)]
    public double? EvictionRatePerHour { get; set; }

    /// <summary>The real time that stands for one simulated hour when <see cref="EvictionRatePerHour"/> is applied.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan SimulatedHour { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a job's process must stay out of sight (no process, no exit code) before it is declared lost,
    /// seen at least three times: a single look can miss a process that is just being exec'd or reaped.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Evict the first attempt of every training job when its progress reaches this share (0–1), to exercise
    /// resume from checkpoints; null injects none. A test and demo switch of this backend, not part of any job.</summary>
    [Range(0.0, 1.0)]
    public double? InjectEvictionAtProgress { get; set; }
}

/// <summary>When a spot job is evicted under a constant hazard: drawn once per job, at submission.</summary>
/// <remarks>
/// Under a constant hazard the time to eviction is exponential, so one draw at submission is enough and needs no
/// per-poll coin toss (which would make the eviction rate depend on how often the orchestrator polls). The RNG is
/// seeded from the job id, so a retried or replayed submission of the same attempt draws the same time, while the
/// next attempt (a new job id) draws afresh.
/// </remarks>
public sealed record SpotEvictionDraw(double RatePerSimulatedHour, double SimulatedHourSeconds, double AfterSimulatedHours)
{
    /// <summary>The draw for <paramref name="jobId"/>: the same id always gets the same time to eviction.</summary>
    public static SpotEvictionDraw For(string jobId, double ratePerSimulatedHour, double simulatedHourSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSimulatedHour);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(simulatedHourSeconds);
        ulong seed = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(jobId));
#pragma warning disable CA5394 // a simulation draw, not a secret: it must be reproducible, not unpredictable
        double uniform = new Random(unchecked((int)(seed ^ (seed >> 32)))).NextDouble();
#pragma warning restore CA5394
        return new SpotEvictionDraw(ratePerSimulatedHour, simulatedHourSeconds, -Math.Log(1 - uniform) / ratePerSimulatedHour);
    }

    /// <summary>The job's running time, in real seconds, at which it is evicted.</summary>
    public double AfterSeconds => AfterSimulatedHours * SimulatedHourSeconds;
}

/// <summary>Runs the job contract as a local child process: the local stand-in for Azure ML command jobs.</summary>
/// <remarks>
/// A job's whole state lives in files under its folder, so it survives a crash of the stack: the process runs in
/// its own session under <c>sh</c>, which records the exit code in <c>exit</c> whether or not we are still alive to
/// watch it. An eviction is a real SIGKILL of the job's process group, after an <c>evicted</c> marker is written;
/// it is injected at a given progress of a training job's first attempt (<see cref="LocalJobOptions.InjectEvictionAtProgress"/>) or, for spot jobs, at
/// a time drawn from <see cref="LocalJobOptions.EvictionRatePerHour"/> (<see cref="SpotEvictionDraw"/>).
/// Every submission that starts a process appends a line to <c>submissions.log</c>.
/// </remarks>
public sealed partial class LocalProcessJobBackend(PipelineStorage storage, LocalJobOptions options, IOptions<TrainingOptions> training, ILogger<LocalProcessJobBackend> logger) : IJobBackend
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    static readonly Lock SubmitLock = new();
    const string SpotEvictionFile = "spot-eviction.json";

    string Root => Path.GetFullPath(options.JobsRoot);

    string JobDir(string jobId) => Path.Combine(Root, "jobs", Sanitize(jobId));

    /// <summary>The file that lists every process start, one line per submission that really started.</summary>
    public string SubmissionsLog => Path.Combine(Root, "submissions.log");

    public string OutputPrefix(string jobId) => $"{PipelineStorage.Models}/jobs/{jobId}/";

    /// <summary>The job of this backend whose outputs <paramref name="prefix"/> names, if it is one.</summary>
    string? JobOf(string prefix)
    {
        string jobs = $"{PipelineStorage.Models}/jobs/";
        string? jobId = prefix.StartsWith(jobs, StringComparison.Ordinal) && prefix.EndsWith('/') ? prefix[jobs.Length..^1] : null;
        return jobId is { Length: > 0 } && !jobId.Contains('/', StringComparison.Ordinal) && Directory.Exists(JobDir(jobId)) ? jobId : null;
    }

    public async Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        string dir = JobDir(submission.JobId);
        if (File.Exists(Path.Combine(dir, "started")))
        {
            return await GetStatusAsync(submission.JobId, cancellationToken);
        }

        Directory.CreateDirectory(dir);
        string data = Path.Combine(dir, "data");
        string checkpoints = Path.Combine(Root, "checkpoints", Sanitize(submission.CheckpointKey));
        string output = Path.Combine(dir, "out");
        Directory.CreateDirectory(checkpoints);
        Directory.CreateDirectory(output);
        foreach (string prefix in submission.DataPrefixes)
        {
            await DownloadShardsAsync(prefix, data, cancellationToken);
        }

        string? model = null, evalSet = null, prompts = null;
        if (submission.Kind == JobKind.Evaluate)
        {
            model = Path.Combine(dir, "model");
            string modelPrefix = submission.ModelPrefix ?? throw new ArgumentException("An evaluation job needs a model.");
            if (JobOf(modelPrefix) is { } trained && TryReadExit(Path.Combine(JobDir(trained), "exit"), out int trainedExit) && trainedExit == 0)
            {
                await StoreOutputsAsync(trained, cancellationToken);
            }

            await storage.DownloadTreeAsync(modelPrefix, model, cancellationToken);
            if (submission.Evaluation is { } inputs)
            {
                evalSet = Path.Combine(dir, "evalset");
                prompts = Path.Combine(dir, "prompts");
                await storage.DownloadTreeAsync(inputs.EvalSetPrefix, evalSet, cancellationToken);
                await storage.DownloadTreeAsync(inputs.PromptsPrefix, prompts, cancellationToken);
            }
        }

        // The component's command, run in the components folder with the job's folders in its placeholders.
        TrainingComponent component = training.Value.AllComponents().GetValueOrDefault(submission.Component)
            ?? throw new InvalidOperationException($"job {submission.JobId}: no training component '{submission.Component}' (Training:Components)");
        string command = JobCommand.Render(
            submission.Kind == JobKind.Train ? component.TrainCommand : component.EvaluateCommand,
            name => name switch
            {
                "data" => JobCommand.Quote(data),
                "out" => JobCommand.Quote(output),
                "checkpoints" when submission.Kind == JobKind.Train => JobCommand.Quote(checkpoints),
                "model" => model is null ? null : JobCommand.Quote(model),
                "evalset" => evalSet is null ? null : JobCommand.Quote(evalSet),
                "prompts" => prompts is null ? null : JobCommand.Quote(prompts),
                _ => null,
            },
            submission.Kind == JobKind.Train ? submission.Hyperparameters : new Dictionary<string, string>());
        string codeFolder = Path.GetFullPath(training.Value.ComponentsFolder);

        lock (SubmitLock)
        {
            // A second delivery of the same activity finds the job started and starts nothing.
            if (File.Exists(Path.Combine(dir, "started")))
            {
                return ReadStatus(submission.JobId);
            }

            WriteAtomically(Path.Combine(dir, "job.json"), JsonSerializer.Serialize(submission, Json));
            if (submission.Spot && options.EvictionRatePerHour is { } rate)
            {
                SpotEvictionDraw draw = SpotEvictionDraw.For(submission.JobId, rate, options.SimulatedHour.TotalSeconds);
                WriteAtomically(Path.Combine(dir, SpotEvictionFile), JsonSerializer.Serialize(draw, Json));
            }

            var psi = new ProcessStartInfo("setsid") { WorkingDirectory = dir, UseShellExecute = false };
            psi.ArgumentList.Add("sh");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("exec </dev/null >stdout.log 2>stderr.log; (cd \"$1\" && eval \"$2\"); echo $? > exit.tmp; mv exit.tmp exit");
            psi.ArgumentList.Add($"genai-job-{submission.JobId}");
            psi.ArgumentList.Add(codeFolder);
            psi.ArgumentList.Add(command);
            WriteAtomically(Path.Combine(dir, "command.txt"), command);
            psi.Environment["PATH"] = $"{ToolsFolder()}:{Environment.GetEnvironmentVariable("PATH")}";
            if (string.IsNullOrEmpty(psi.Environment.TryGetValue("DOTNET_ROOT", out string? root) ? root : null))
            {
                psi.Environment["DOTNET_ROOT"] = DotnetRoot();
            }

            // Which attempt this is: a trainer that finds a later attempt owning the checkpoints stops without writing.
            psi.Environment[AttemptVariable] = submission.Attempt.ToString(CultureInfo.InvariantCulture);
            using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start job {submission.JobId}.");

            // setsid makes the job the leader of its own process group: its pid is the group's id. Its start time tells it
            // apart from a later process that reuses the pid.
            WriteAtomically(Path.Combine(dir, "pid"), $"{process.Id} {JobProcesses.StartTime(process.Id)}");
            File.WriteAllText(Path.Combine(dir, "started"), DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            File.AppendAllText(SubmissionsLog, $"{DateTime.UtcNow:O} {submission.JobId} pid={process.Id}\n");
            Log.Started(logger, submission.JobId, submission.Kind, process.Id);
        }

        return ReadStatus(submission.JobId);
    }

    public async Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken)
    {
        JobStatus status = ReadStatus(jobId);
        if (status.State == JobState.Running && EvictionDue(jobId, status) is { } reason)
        {
            status = Evict(status, reason);
        }

        if (status.State == JobState.Completed)
        {
            await StoreOutputsAsync(jobId, cancellationToken);
        }

        return status;
    }

    /// <summary>The reason to evict a running job now, if an injected eviction is due.</summary>
    string? EvictionDue(string jobId, JobStatus status)
    {
        if (options.InjectEvictionAtProgress is { } at && status.Progress >= at && ReadSubmission(jobId) is { Kind: JobKind.Train, Attempt: 1 })
        {
            return $"eviction injected at {status.Progress:P0} (threshold {at:P0})";
        }

        string drawFile = Path.Combine(JobDir(jobId), SpotEvictionFile);
        if (!File.Exists(drawFile))
        {
            return null;
        }

        SpotEvictionDraw draw = JsonSerializer.Deserialize<SpotEvictionDraw>(File.ReadAllText(drawFile), Json)!;
        if (status.BilledSeconds < draw.AfterSeconds)
        {
            return null;
        }

        double ranHours = status.BilledSeconds / draw.SimulatedHourSeconds;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"spot eviction at a rate of {draw.RatePerSimulatedHour:G4} per simulated hour after {ranHours:F4} simulated hours (drawn {draw.AfterSimulatedHours:F4}; one simulated hour = {draw.SimulatedHourSeconds:G4} s)");
    }

    /// <summary>Marks the job evicted, then SIGKILLs its process group: what a reclaimed spot VM does to it.</summary>
    JobStatus Evict(JobStatus status, string reason)
    {
        string dir = JobDir(status.JobId);
        JobProcess leader = JobProcess.Read(Path.Combine(dir, "pid"));
        File.WriteAllText(Path.Combine(dir, "evicted"), reason);
        JobProcesses.KillGroup(leader.Pid, TimeSpan.FromSeconds(10));
        Log.Evicted(logger, status.JobId, reason);
        return status with { State = JobState.Evicted, Detail = reason };
    }

    JobStatus ReadStatus(string jobId)
    {
        string dir = JobDir(jobId);
        if (!File.Exists(Path.Combine(dir, "started")))
        {
            return new JobStatus(jobId, JobState.Failed, 0, 0, $"no job with id {jobId} was started");
        }

        JobSubmission submission = ReadSubmission(jobId)!;
        double progress = ReadProgress(submission);
        DateTime started = DateTime.Parse(File.ReadAllText(Path.Combine(dir, "started")), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        string exitFile = Path.Combine(dir, "exit");
        bool evicted = File.Exists(Path.Combine(dir, "evicted"));
        DateTime end = File.Exists(exitFile) ? File.GetLastWriteTimeUtc(exitFile) : evicted ? File.GetLastWriteTimeUtc(Path.Combine(dir, "evicted")) : DateTime.UtcNow;
        double billed = Math.Max(0, (end - started).TotalSeconds);

        if (evicted)
        {
            return new JobStatus(jobId, JobState.Evicted, progress, billed, File.ReadAllText(Path.Combine(dir, "evicted")).Trim());
        }

        if (TryReadExit(exitFile, out int code))
        {
            return code == 0
                ? new JobStatus(jobId, JobState.Completed, 1, billed, "exit 0")
                : new JobStatus(jobId, JobState.Failed, progress, billed, $"exit {code}: {Tail(Path.Combine(dir, "stderr.log"))}");
        }

        JobProcess leader = JobProcess.Read(Path.Combine(dir, "pid"));
        string absentFile = Path.Combine(dir, "absent");
        if (JobProcesses.IsAlive(leader))
        {
            File.Delete(absentFile);
        }
        else
        {
            if (TryReadExit(exitFile, out _))
            {
                return ReadStatus(jobId);
            }

            // Out of sight without an exit code: declared lost only after a bounded, repeated check.
            (DateTime since, int looks) = RecordAbsence(absentFile);
            TimeSpan unseen = DateTime.UtcNow - since;
            if (looks < 3 || unseen < options.LostAfter)
            {
                return new JobStatus(jobId, JobState.Running, progress, billed, $"process not seen for {unseen.TotalSeconds:F1} s; checking again");
            }

            // The process went away under the job, as a spot VM does. Whatever is left of its group is killed before
            // anyone is told, so a successor never runs beside it.
            JobProcesses.KillGroup(leader.Pid, TimeSpan.FromSeconds(10));
            if (TryReadExit(exitFile, out _))
            {
                return ReadStatus(jobId);
            }

            string reason = $"process lost without an exit code (not seen for {unseen.TotalSeconds:F1} s)";
            File.WriteAllText(Path.Combine(dir, "evicted"), reason);
            return new JobStatus(jobId, JobState.Evicted, progress, billed, reason);
        }

        return new JobStatus(jobId, JobState.Running, progress, billed, "running");
    }

    JobSubmission? ReadSubmission(string jobId)
    {
        string file = Path.Combine(JobDir(jobId), "job.json");
        return File.Exists(file) ? JsonSerializer.Deserialize<JobSubmission>(File.ReadAllText(file), Json) : null;
    }

    public Task CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        string dir = JobDir(jobId);
        string pidFile = Path.Combine(dir, "pid");
        if (File.Exists(pidFile) && !File.Exists(Path.Combine(dir, "exit")))
        {
            JobProcesses.KillGroup(JobProcess.Read(pidFile).Pid, TimeSpan.FromSeconds(10));
            WriteAtomically(Path.Combine(dir, "exit"), "130");
        }

        return Task.CompletedTask;
    }

    public async Task<IReadOnlyDictionary<string, double>> GetMetricsAsync(string jobId, CancellationToken cancellationToken)
    {
        string path = Path.Combine(JobDir(jobId), "out", "metrics.json");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"job {jobId} wrote no metrics.json");
        }

        using JsonDocument doc = JsonDocument.Parse(await File.ReadAllTextAsync(path, cancellationToken));
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Number)
            {
                metrics[p.Name] = p.Value.GetDouble();
            }
        }

        return metrics;
    }

    double ReadProgress(JobSubmission submission)
    {
        string file = Path.Combine(Root, "checkpoints", Sanitize(submission.CheckpointKey), "progress.json");
        if (submission.Kind != JobKind.Train || !File.Exists(file))
        {
            return 0;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file));
            double step = doc.RootElement.GetProperty("step").GetDouble();
            double total = doc.RootElement.GetProperty("totalSteps").GetDouble();
            return total > 0 ? Math.Clamp(step / total, 0, 1) : 0;
        }
        catch (Exception e) when (e is JsonException or IOException or KeyNotFoundException)
        {
            return 0; // being rewritten; the next poll reads it
        }
    }

    /// <summary>Makes storage hold what the completed job wrote: each file of its <c>out</c> folder, by name, length and
    /// MD5. A blob that is missing or differs is uploaded again from the folder. Checked each time the outputs are
    /// about to be used (every status read of the completed job, and before an evaluation downloads the model), not
    /// once: storage that acknowledged a write can still lose it (a local emulator killed before it saved), and the
    /// job's folder is the copy that survives. <c>uploaded</c> records the last time storage was found complete.</summary>
    async Task StoreOutputsAsync(string jobId, CancellationToken cancellationToken)
    {
        string dir = JobDir(jobId);
        string output = Path.Combine(dir, "out");
        if (!Directory.Exists(output))
        {
            return;
        }

        BlobContainerClient models = storage.Container(PipelineStorage.Models);
        string prefix = $"jobs/{jobId}/";
        var stored = new Dictionary<string, BlobItemProperties>(StringComparer.Ordinal);
        await foreach (BlobItem item in models.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            stored[item.Name] = item.Properties;
        }

        int uploaded = 0;
        foreach (string file in Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories))
        {
            string name = prefix + Path.GetRelativePath(output, file).Replace('\\', '/');
            byte[] md5 = await Md5Async(file, cancellationToken);
            if (stored.TryGetValue(name, out BlobItemProperties? blob) && blob.ContentLength == new FileInfo(file).Length
                && blob.ContentHash is { } hash && hash.AsSpan().SequenceEqual(md5))
            {
                continue;
            }

            await models.GetBlobClient(name).UploadAsync(file, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentHash = md5 } }, cancellationToken);
            uploaded++;
        }

        string marker = Path.Combine(dir, "uploaded");
        if (uploaded > 0 && File.Exists(marker))
        {
            Log.Reuploaded(logger, jobId, uploaded);
        }

        WriteAtomically(marker, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
    }

#pragma warning disable CA5351 // MD5 is what blob storage keeps as Content-MD5: an integrity check, not a secret
    static async Task<byte[]> Md5Async(string file, CancellationToken cancellationToken)
    {
        await using FileStream stream = File.OpenRead(file);
        return await System.Security.Cryptography.MD5.HashDataAsync(stream, cancellationToken);
    }
#pragma warning restore CA5351

    /// <summary>Downloads the split shards of a dataset into the job's flat data folder: the split stays first in each
    /// name so the job contract's train-*/validation-*/test-* patterns still match, the dataset tag after it.</summary>
    async Task DownloadShardsAsync(string containerAndPrefix, string target, CancellationToken cancellationToken)
    {
        (BlobContainerClient container, string prefix) = storage.Locate(containerAndPrefix);
        string tag = Sanitize(prefix.TrimEnd('/').Split('/')[^1]);
        Directory.CreateDirectory(target);
        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            string name = Path.GetFileName(item.Name[prefix.Length..]);
            if (!(name.StartsWith("train-", StringComparison.Ordinal) || name.StartsWith("validation-", StringComparison.Ordinal) || name.StartsWith("test-", StringComparison.Ordinal)))
            {
                continue;
            }

            int dash = name.IndexOf('-', StringComparison.Ordinal);
            await container.GetBlobClient(item.Name).DownloadToAsync(Path.Combine(target, $"{name[..dash]}-{tag}-{name[(dash + 1)..]}"), cancellationToken);
        }
    }

    static bool TryReadExit(string exitFile, out int code)
    {
        code = 0;
        return File.Exists(exitFile) && int.TryParse(File.ReadAllText(exitFile).Trim(), CultureInfo.InvariantCulture, out code);
    }

    /// <summary>Counts one more look that did not see the job's process; returns when the first such look was and how
    /// many there were (kept in a file, so the count survives a restart of the stack).</summary>
    static (DateTime Since, int Looks) RecordAbsence(string file)
    {
        DateTime since = DateTime.UtcNow;
        int looks = 0;
        if (File.Exists(file) && File.ReadAllText(file).Split(' ') is [string first, string count]
            && DateTime.TryParse(first, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTime parsed)
            && int.TryParse(count, CultureInfo.InvariantCulture, out int n))
        {
            (since, looks) = (parsed, n);
        }

        looks++;
        WriteAtomically(file, string.Create(CultureInfo.InvariantCulture, $"{since:O} {looks}"));
        return (since, looks);
    }

    static string Tail(string file)
    {
        if (!File.Exists(file))
        {
            return "(no stderr)";
        }

        string text = File.ReadAllText(file).Trim();
        return text.Length <= 800 ? text : "…" + text[^800..];
    }

    static void WriteAtomically(string path, string content)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, content);
        File.Move(tmp, path, overwrite: true);
    }

    static string Sanitize(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <summary>A folder first on the jobs' PATH: <c>python</c> and <c>python3</c> there are <see cref="LocalJobOptions.Python"/>.</summary>
    string ToolsFolder()
    {
        string folder = Path.Combine(Root, "bin");
        Directory.CreateDirectory(folder);
        string python = Path.IsPathRooted(options.Python) ? options.Python : OnPath(options.Python)
            ?? throw new InvalidOperationException($"LocalJobs:Python: '{options.Python}' is not on the PATH; give its full path");
        foreach (string name in new[] { "python", "python3" })
        {
            var link = new FileInfo(Path.Combine(folder, name));
            if (link.LinkTarget != python)
            {
                link.Delete();
                File.CreateSymbolicLink(link.FullName, python);
            }
        }

        return folder;
    }

    static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>Where the running .NET lives, so a framework-dependent component (the n-gram trainer's apphost) finds it.</summary>
    static string DotnetRoot() =>
        Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    /// <summary>The environment variable that tells a training job its attempt number (the checkpoint fence).</summary>
    public const string AttemptVariable = "GENAI_JOB_ATTEMPT";

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Started {Kind} job {JobId} (pid {Pid})")]
        public static partial void Started(ILogger logger, string jobId, JobKind kind, int pid);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} evicted: {Reason}")]
        public static partial void Evicted(ILogger logger, string jobId, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Count} output(s) stored before were missing or different in storage; uploaded again from the job's folder")]
        public static partial void Reuploaded(ILogger logger, string jobId, int count);
    }
}
