using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using GenAiServerless.Local.Training;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Local.Training;

/// <summary>The local job backend against Azurite and the real trainer: one process per job id, outputs uploaded,
/// evictions (at a progress, or by a spot hazard rate) that really kill the trainer, and resume from checkpoints.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class LocalProcessJobBackendTests(StackFixture fixture) : IAsyncLifetime
{
    const string Model = "backendlm";
    static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);

    readonly string run = $"run-{Guid.NewGuid():N}"[..16];
    readonly List<(LocalProcessJobBackend Backend, string JobId)> submitted = [];
    PipelineStorage storage = null!;

    string JobsRoot => Path.Combine(fixture.Home, "backend-tests", run);

    string DataPrefix => $"{PipelineStorage.Curated}/{Model}/{run}/";

    public async Task InitializeAsync()
    {
        storage = new PipelineStorage(new BlobServiceClient(fixture.ConnectionString), new QueueServiceClient(fixture.ConnectionString));
        await storage.EnsureCreatedAsync();
        BlobContainerClient curated = storage.Container(PipelineStorage.Curated);
        await curated.GetBlobClient($"{Model}/{run}/train-00000.jsonl").UploadAsync(Shard("train", 0, 300), overwrite: true);
        await curated.GetBlobClient($"{Model}/{run}/validation-00000.jsonl").UploadAsync(Shard("validation", 300, 60), overwrite: true);
        await curated.GetBlobClient($"{Model}/{run}/test-00000.jsonl").UploadAsync(Shard("test", 360, 60), overwrite: true);
    }

    public async Task DisposeAsync()
    {
        // No trainer may outlive its test: cancelling a finished job is a no-op, a running one is killed.
        foreach ((LocalProcessJobBackend backend, string jobId) in submitted)
        {
            await backend.CancelAsync(jobId, CancellationToken.None);
        }
    }

    [Fact]
    public async Task SubmitAsync_SameSubmissionTwice_StartsOneProcess()
    {
        LocalProcessJobBackend backend = Backend();
        JobSubmission submission = Submission("retry", steps: 4, stepDelayMs: 200);

        JobStatus first = await SubmitAsync(backend, submission);
        JobStatus second = await SubmitAsync(backend, submission);

        Assert.Equal(submission.JobId, first.JobId);
        Assert.Equal(submission.JobId, second.JobId);
        Assert.NotEqual(JobState.Failed, first.State);
        Assert.NotEqual(JobState.Failed, second.State);
        string[] log = await File.ReadAllLinesAsync(backend.SubmissionsLog);
        Assert.Single(log, line => line.Contains($" {submission.JobId} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetStatusAsync_JobRunsToEnd_CompletesAndUploadsOutputs()
    {
        LocalProcessJobBackend backend = Backend();
        JobSubmission submission = Submission("complete");

        await SubmitAsync(backend, submission);
        (JobStatus status, _) = await WaitForEndAsync(backend, submission.JobId);

        Assert.True(status.State == JobState.Completed, $"{status.State}: {status.Detail}");
        Assert.Equal(1, status.Progress);
        Assert.Equal($"{PipelineStorage.Models}/jobs/{submission.JobId}/", backend.OutputPrefix(submission.JobId));
        BlobContainerClient models = storage.Container(PipelineStorage.Models);
        Assert.True(await models.GetBlobClient($"jobs/{submission.JobId}/model.json").ExistsAsync());
        Assert.True(await models.GetBlobClient($"jobs/{submission.JobId}/metrics.json").ExistsAsync());
        IReadOnlyDictionary<string, double> metrics = await backend.GetMetricsAsync(submission.JobId, CancellationToken.None);
        Assert.True(metrics["validation_perplexity"] > 1, $"validation_perplexity {metrics["validation_perplexity"]}");
    }

    [Fact]
    public async Task GetStatusAsync_CompletedJobsOutputsLostFromStorage_UploadsThemAgainFromItsFolder()
    {
        LocalProcessJobBackend backend = Backend();
        JobSubmission submission = Submission("lost");
        await SubmitAsync(backend, submission);
        await WaitForEndAsync(backend, submission.JobId);

        // What storage acknowledged and then lost (an emulator killed before it saved), or holds cut short.
        BlobContainerClient models = storage.Container(PipelineStorage.Models);
        await models.GetBlobClient($"jobs/{submission.JobId}/model.json").DeleteAsync();
        await models.GetBlobClient($"jobs/{submission.JobId}/metrics.json").UploadAsync(BinaryData.FromString("{}"), overwrite: true);
        JobStatus again = await backend.GetStatusAsync(submission.JobId, CancellationToken.None);

        Assert.Equal(JobState.Completed, again.State);
        foreach (string file in new[] { "model.json", "metrics.json" })
        {
            BlobProperties stored = (await models.GetBlobClient($"jobs/{submission.JobId}/{file}").GetPropertiesAsync()).Value;
            Assert.Equal(new FileInfo(Path.Combine(JobDir(submission.JobId), "out", file)).Length, stored.ContentLength);
        }
    }

    [Fact]
    public async Task SubmitAsync_EvaluationOfModelLostFromStorage_DownloadsTheWholeModel()
    {
        LocalProcessJobBackend backend = Backend();
        JobSubmission trained = Submission("lost-model");
        await SubmitAsync(backend, trained);
        await WaitForEndAsync(backend, trained.JobId);
        await storage.Container(PipelineStorage.Models).GetBlobClient($"jobs/{trained.JobId}/model.json").DeleteAsync();

        JobSubmission evaluation = Submission("lost-model-eval") with
        {
            Kind = JobKind.Evaluate,
            ModelPrefix = backend.OutputPrefix(trained.JobId),
            Evaluation = new EvaluationInputs(DataPrefix, DataPrefix),
            Hyperparameters = new Dictionary<string, string>(),
        };
        await SubmitAsync(backend, evaluation);

        string header = Path.Combine(JobDir(evaluation.JobId), "model", "model.json");
        Assert.True(File.Exists(header), "the evaluation got the model without its header");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(JobDir(trained.JobId), "out", "model.json")), await File.ReadAllTextAsync(header));
    }

    [Fact]
    public async Task GetStatusAsync_EvictionInjectedAtProgress_KillsTrainerAndNextAttemptResumes()
    {
        LocalProcessJobBackend backend = Backend(injectEvictionAtProgress: 0.3);
        JobSubmission first = Submission("inject-a1", steps: 6, stepDelayMs: 400, checkpointKey: "inject");

        await SubmitAsync(backend, first);
        (JobStatus evicted, IReadOnlySet<int> trainers) = await WaitForEndAsync(backend, first.JobId);

        Assert.Equal(JobState.Evicted, evicted.State);
        Assert.StartsWith("eviction injected at", evicted.Detail, StringComparison.Ordinal);
        Assert.Equal(evicted.Detail, await File.ReadAllTextAsync(Path.Combine(JobDir(first.JobId), "evicted")));
        Assert.InRange(evicted.Progress, 0.3, 0.99);
        await AssertGoneAsync(trainers);

        JobSubmission second = Submission("inject-a2", steps: 6, stepDelayMs: 400, checkpointKey: "inject") with { Attempt = 2 };
        await SubmitAsync(backend, second);
        (JobStatus completed, _) = await WaitForEndAsync(backend, second.JobId);

        Assert.Equal(JobState.Completed, completed.State);
        IReadOnlyDictionary<string, double> metrics = await backend.GetMetricsAsync(second.JobId, CancellationToken.None);
        Assert.True(metrics["resumed_from_step"] > 0, $"resumed_from_step {metrics["resumed_from_step"]}");
    }

    [Fact]
    public async Task GetStatusAsync_LeaderGoneButTrainerRunning_DeclaredLostOnlyAfterRepeatedLooksAndTheGroupIsKilledFirst()
    {
        LocalProcessJobBackend backend = Backend(lostAfter: TimeSpan.FromSeconds(1));
        JobSubmission submission = Submission("orphan", steps: 20, stepDelayMs: 400);
        await SubmitAsync(backend, submission);
        int group = JobProcess.Read(Path.Combine(JobDir(submission.JobId), "pid")).Pid;
        var trainers = new HashSet<int>();
        var watch = Stopwatch.StartNew();
        while (trainers.Count == 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            trainers.UnionWith(TrainerProcesses(group));
            await Task.Delay(20);
        }

        // The shell that would record the exit code dies; its trainer child runs on, unseen by a look at the leader.
        Assert.NotEmpty(trainers);
        JobProcess leader = JobProcess.Read(Path.Combine(JobDir(submission.JobId), "pid"));
        Process.GetProcessById(group).Kill();
        while (JobProcesses.IsAlive(leader))
        {
            await Task.Delay(10);
        }

        JobStatus first = await backend.GetStatusAsync(submission.JobId, CancellationToken.None);
        Assert.Equal(JobState.Running, first.State);
        Assert.StartsWith("process not seen for", first.Detail, StringComparison.Ordinal);

        (JobStatus lost, _) = await WaitForEndAsync(backend, submission.JobId);

        Assert.Equal(JobState.Evicted, lost.State);
        Assert.StartsWith("process lost without an exit code", lost.Detail, StringComparison.Ordinal);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1));
        Assert.Empty(JobProcesses.GroupMembers(group));
        await AssertGoneAsync(trainers);
    }

    [Fact]
    public async Task GetStatusAsync_HighEvictionRateOnSpot_EvictsWithinFewPolls()
    {
        LocalProcessJobBackend backend = Backend(evictionRatePerHour: 3600, simulatedHourSeconds: 1);
        JobSubmission submission = Submission("rate-spot", steps: 6, stepDelayMs: 400);

        await SubmitAsync(backend, submission);
        (JobStatus status, IReadOnlySet<int> trainers, int polls) = await WaitForEndWithPollsAsync(backend, submission.JobId);

        Assert.Equal(JobState.Evicted, status.State);
        Assert.InRange(polls, 1, 3);
        Assert.Contains("rate of 3600 per simulated hour", status.Detail, StringComparison.Ordinal);
        Assert.Contains("simulated hours", status.Detail, StringComparison.Ordinal);
        await AssertGoneAsync(trainers);
    }

    [Fact]
    public async Task GetStatusAsync_HighEvictionRateOnDedicated_NeverEvicts()
    {
        LocalProcessJobBackend backend = Backend(evictionRatePerHour: 3600, simulatedHourSeconds: 1);
        JobSubmission submission = Submission("rate-dedicated", steps: 3, stepDelayMs: 300) with { Spot = false };

        await SubmitAsync(backend, submission);
        (JobStatus status, _, int polls) = await WaitForEndWithPollsAsync(backend, submission.JobId);

        Assert.Equal(JobState.Completed, status.State);
        Assert.True(polls > 3, $"the job ended after {polls} polls, too soon to show the rate was ignored");
    }

    [Fact]
    public void SpotEvictionDraw_For_IsPerJobIdAndExponentialWithTheRate()
    {
        Assert.Equal(SpotEvictionDraw.For("job-a1", 2, 10), SpotEvictionDraw.For("job-a1", 2, 10));
        Assert.NotEqual(SpotEvictionDraw.For("job-a1", 2, 10).AfterSimulatedHours, SpotEvictionDraw.For("job-a2", 2, 10).AfterSimulatedHours);

        double[] hours = [.. Enumerable.Range(0, 4000).Select(i => SpotEvictionDraw.For($"job-{i}", 2, 10).AfterSimulatedHours)];
        Assert.All(hours, h => Assert.True(h >= 0));
        Assert.InRange(hours.Average(), 0.45, 0.55); // mean 1/rate
        Assert.InRange(hours.Count(h => h <= Math.Log(2) / 2) / 4000.0, 0.46, 0.54); // median ln 2 / rate
        Assert.Equal(SpotEvictionDraw.For("job-a1", 2, 10).AfterSimulatedHours * 10, SpotEvictionDraw.For("job-a1", 2, 10).AfterSeconds, 9);
    }

    [Fact]
    public async Task GetStatusAsync_TrainerFails_FailedWithStderrTail()
    {
        LocalProcessJobBackend backend = Backend();
        JobSubmission submission = Submission("fails") with { DataPrefixes = [$"{PipelineStorage.Curated}/{Model}/{run}-empty/"] };

        await SubmitAsync(backend, submission);
        (JobStatus status, _) = await WaitForEndAsync(backend, submission.JobId);

        Assert.Equal(JobState.Failed, status.State);
        Assert.StartsWith("exit 1: ", status.Detail, StringComparison.Ordinal);
        Assert.Contains("no training records", status.Detail, StringComparison.Ordinal);
    }

    LocalProcessJobBackend Backend(double? evictionRatePerHour = null, double simulatedHourSeconds = 10, double? injectEvictionAtProgress = null, TimeSpan? lostAfter = null) =>
        new(
            storage,
            new LocalJobOptions
            {
                JobsRoot = JobsRoot,
                EvictionRatePerHour = evictionRatePerHour,
                SimulatedHour = TimeSpan.FromSeconds(simulatedHourSeconds),
                InjectEvictionAtProgress = injectEvictionAtProgress,
                LostAfter = lostAfter ?? TimeSpan.FromSeconds(3),
            },
            Microsoft.Extensions.Options.Options.Create(new TrainingOptions()),
            NullLogger<LocalProcessJobBackend>.Instance);

    JobSubmission Submission(string name, int steps = 8, int stepDelayMs = 0, string? checkpointKey = null) =>
        new(
            JobId: $"{run}-{name}",
            Attempt: 1,
            Kind: JobKind.Train,
            DataPrefixes: [DataPrefix],
            ModelPrefix: null,
            CheckpointKey: $"{run}-{checkpointKey ?? name}",
            InstanceType: "Standard_NC4as_T4_v3",
            Spot: true,
            Hyperparameters: new Dictionary<string, string>
            {
                ["steps"] = steps.ToString(CultureInfo.InvariantCulture),
                ["step-delay-ms"] = stepDelayMs.ToString(CultureInfo.InvariantCulture),
            });

    async Task<JobStatus> SubmitAsync(LocalProcessJobBackend backend, JobSubmission submission)
    {
        submitted.Add((backend, submission.JobId));
        return await backend.SubmitAsync(submission, CancellationToken.None);
    }

    string JobDir(string jobId) => Path.Combine(JobsRoot, "jobs", jobId);

    async Task<(JobStatus Status, IReadOnlySet<int> Trainers)> WaitForEndAsync(LocalProcessJobBackend backend, string jobId)
    {
        (JobStatus status, IReadOnlySet<int> trainers, _) = await WaitForEndWithPollsAsync(backend, jobId);
        return (status, trainers);
    }

    /// <summary>Polls as the orchestrator does (but every 100 ms), noting the job's trainer processes while it runs.</summary>
    async Task<(JobStatus Status, IReadOnlySet<int> Trainers, int Polls)> WaitForEndWithPollsAsync(LocalProcessJobBackend backend, string jobId)
    {
        var trainers = new HashSet<int>();
        int group = JobProcess.Read(Path.Combine(JobDir(jobId), "pid")).Pid;
        var watch = Stopwatch.StartNew();

        // The first poll waits for the trainer itself (not just its shell), so an eviction always has one to kill.
        while (trainers.Count == 0 && !File.Exists(Path.Combine(JobDir(jobId), "exit")) && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            trainers.UnionWith(TrainerProcesses(group));
            await Task.Delay(20);
        }

        for (int polls = 1; ; polls++)
        {
            await Task.Delay(100);
            trainers.UnionWith(TrainerProcesses(group));
            JobStatus status = await backend.GetStatusAsync(jobId, CancellationToken.None);
            if (status.IsTerminal)
            {
                return (status, trainers, polls);
            }

            Assert.True(watch.Elapsed < JobTimeout, $"{jobId} did not end within {JobTimeout} (last: {status.State} at {status.Progress:P0})");
        }
    }

    /// <summary>Live trainer processes in the job's process group (the group the backend kills on eviction).</summary>
    static IEnumerable<int> TrainerProcesses(int group)
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out int pid) && Stat(pid) is { State: not 'Z' } stat && stat.Group == group
                && ReadOrEmpty(Path.Combine(dir, "cmdline")).Contains("genai-trainer", StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }

    static async Task AssertGoneAsync(IReadOnlySet<int> trainers)
    {
        Assert.NotEmpty(trainers);
        var watch = Stopwatch.StartNew();
        while (trainers.Any(pid => Stat(pid) is { State: not 'Z' }) && watch.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(50);
        }

        Assert.All(trainers, pid => Assert.False(Stat(pid) is { State: not 'Z' }, $"trainer pid {pid} is still alive"));
    }

    /// <summary>State and process group from <c>/proc/&lt;pid&gt;/stat</c> (after the parenthesised command name).</summary>
    static (char State, int Group)? Stat(int pid)
    {
        string stat = ReadOrEmpty($"/proc/{pid}/stat");
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] fields = stat[(close + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[2], CultureInfo.InvariantCulture));
    }

    static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty; // the process ended while we looked
        }
    }

    /// <summary>Short sentences, distinct per index, as curated JSONL.</summary>
    static BinaryData Shard(string split, int first, int count)
    {
        string[] subjects = ["the model", "the trainer", "the pipeline", "the gate", "the endpoint", "the registry", "the scheduler"];
        string[] verbs = ["reads", "writes", "checks", "scores", "resumes"];
        string[] objects = ["the checkpoint", "the curated data", "a new version", "the test split", "the spot price", "every record"];
        var sb = new StringBuilder();
        for (int i = first; i < first + count; i++)
        {
            string text = $"{subjects[i % subjects.Length]} {verbs[i / subjects.Length % verbs.Length]} {objects[i / 35 % objects.Length]} at step {i % 13}.";
            sb.Append(JsonSerializer.Serialize(new { id = $"{split}-{i}", text })).Append('\n');
        }

        return BinaryData.FromString(sb.ToString());
    }
}
