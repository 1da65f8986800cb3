using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Orchestrations.Training;

public class JobRunOrchestratorTests
{
    private const string Prefix = "shop-run1-train";

    /// <summary>3.60 an hour is 0.001 a second, so costs read straight off the billed seconds.</summary>
    private static readonly GpuOffer Spot = new("Standard_NC4as_T4_v3", "eastus", "T4", 1, 16, Spot: true, PricePerHour: 3.60m, 0.05, "0-5", "test", "2025-06-01");

    private static JobRunRequest Request(int restartBudget = 2, bool fallback = false, double expectedHours = 1, double? deadlineHours = null) => new(
        Model: "shop",
        Kind: JobKind.Train,
        JobIdPrefix: Prefix,
        DataPrefixes: ["curated/shop/run1/"],
        ModelPrefix: null,
        Compute: new TrainingCompute(Spot, 7.20m, new ComputeChoice(Spot, 1m, TimeSpan.FromHours(expectedHours), [], "test")),
        Policy: new TrainingPolicy(
            new ComputeRequirements("T4", 16, 1, [], TimeSpan.FromHours(expectedHours), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5),
                deadlineHours is { } d ? TimeSpan.FromHours(d) : null, null, true),
            new Dictionary<string, string> { ["order"] = "3", ["steps"] = "10" },
            RestartBudget: restartBudget,
            PollInterval: TimeSpan.FromMilliseconds(50),
            MaxPollInterval: TimeSpan.FromMilliseconds(50),
            FallbackToDedicated: fallback));

    private static Task<OrchestrationMetadata> RunAsync(ScriptedJobBackend backend, JobRunRequest request) =>
        DurableRun.RunAsync(
            r => r.AddOrchestrator<JobRunOrchestrator>()
                .AddActivity<SubmitJob>()
                .AddActivity<GetJobStatus>()
                .AddActivity<ReadJobMetrics>()
                .AddActivity<ResolveJobOutput>()
                .AddActivity<CancelJob>(),
            services => services.AddSingleton<IJobBackend>(backend),
            nameof(JobRunOrchestrator),
            request,
            $"{Prefix}-{Guid.NewGuid():N}");

    [Fact]
    public async Task RunAsync_EvictedOnceThenCompleted_ResubmitsFromCheckpointsAndBillsBothAttempts()
    {
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1", ScriptedJobBackend.Running(0.3, 30), ScriptedJobBackend.Evicted(0.5, 60))
            .Script($"{Prefix}-a2", ScriptedJobBackend.Running(0.8, 40), ScriptedJobBackend.Completed(90));

        OrchestrationMetadata run = await RunAsync(backend, Request());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        JobOutcome outcome = run.ReadOutputAs<JobOutcome>()!;
        Assert.Equal(($"{Prefix}-a2", 2, 1), (outcome.JobId, outcome.Attempts, outcome.Evictions));
        Assert.Equal($"jobs/{Prefix}-a2/outputs/", outcome.OutputPrefix);
        Assert.Equal(42.0, outcome.Metrics["test_perplexity"]);

        Assert.Equal([$"{Prefix}-a1", $"{Prefix}-a2"], backend.Submissions.Select(s => s.JobId));
        JobSubmission first = backend.Submissions[0], second = backend.Submissions[1];
        Assert.Equal((1, 2), (first.Attempt, second.Attempt));
        Assert.Equal(Prefix, first.CheckpointKey);
        Assert.Equal(first.CheckpointKey, second.CheckpointKey);
        Assert.Equal(new Dictionary<string, string> { ["order"] = "3", ["steps"] = "10" }, first.Hyperparameters);
        Assert.All(backend.Submissions, s => Assert.Equal((JobKind.Train, "Standard_NC4as_T4_v3", true), (s.Kind, s.InstanceType, s.Spot)));
        Assert.Equal(backend.Queries.Order(StringComparer.Ordinal), backend.Queries.Where(q => q.EndsWith("-a1", StringComparison.Ordinal) || q.EndsWith("-a2", StringComparison.Ordinal)).Order(StringComparer.Ordinal));

        Assert.Equal(
            [
                new JobAttempt($"{Prefix}-a1", 1, JobState.Evicted, Spot.Sku, Spot.Region, true, 60, 0.06m),
                new JobAttempt($"{Prefix}-a2", 2, JobState.Completed, Spot.Sku, Spot.Region, true, 90, 0.09m),
            ],
            outcome.Ledger);
        Assert.Equal(0.15m, outcome.CostUsd);
        Assert.Equal(0.30m, outcome.OnDemandCostUsd);
        Assert.Empty(backend.Cancelled);
    }

    [Fact]
    public async Task RunAsync_EvictionsBeyondRestartBudget_FailsNamingBudget()
    {
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1", ScriptedJobBackend.Evicted(0.2, 20))
            .Script($"{Prefix}-a2", ScriptedJobBackend.Evicted(0.4, 20));

        OrchestrationMetadata run = await RunAsync(backend, Request(restartBudget: 1));

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("restart budget of 1", run.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("evicted 2 times", run.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal([$"{Prefix}-a1", $"{Prefix}-a2"], backend.Submissions.Select(s => s.JobId));
    }

    [Fact]
    public async Task RunAsync_JobFailed_FailsWithJobDetail()
    {
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1", ScriptedJobBackend.Running(0.1, 10), ScriptedJobBackend.Failed(0.1, 15, "CUDA error: out of memory"));

        OrchestrationMetadata run = await RunAsync(backend, Request());

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Equal($"Train job {Prefix}-a1 ended Failed: CUDA error: out of memory", run.FailureDetails!.ErrorMessage);
        Assert.Single(backend.Submissions);
    }

    [Fact]
    public async Task RunAsync_EvictionsBeyondBudgetWithFallback_FinishesOnDedicatedAtOnDemandPrice()
    {
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1", ScriptedJobBackend.Evicted(0.2, 20))
            .Script($"{Prefix}-a2", ScriptedJobBackend.Evicted(0.4, 20))
            .Script($"{Prefix}-a3", ScriptedJobBackend.Running(0.7, 10), ScriptedJobBackend.Completed(50));

        OrchestrationMetadata run = await RunAsync(backend, Request(restartBudget: 1, fallback: true));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        JobOutcome outcome = run.ReadOutputAs<JobOutcome>()!;
        Assert.Equal((3, 2), (outcome.Attempts, outcome.Evictions));
        Assert.Equal([true, true, false], backend.Submissions.Select(s => s.Spot));
        Assert.All(backend.Submissions, s => Assert.Equal(Prefix, s.CheckpointKey));
        JobAttempt dedicated = outcome.Ledger[^1];
        Assert.False(dedicated.Spot);
        Assert.Equal(0.10m, dedicated.CostUsd); // 50 s at 7.20/h
    }

    [Fact]
    public async Task RunAsync_DeadlineAtRisk_FallsBackBeforeTheBudgetIsSpent()
    {
        // Ten hours of work against a one-hour deadline: the first eviction sends the rest to dedicated capacity.
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1", ScriptedJobBackend.Evicted(0.1, 20))
            .Script($"{Prefix}-a2", ScriptedJobBackend.Completed(30));

        OrchestrationMetadata run = await RunAsync(backend, Request(restartBudget: 5, fallback: true, expectedHours: 10, deadlineHours: 1));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal([true, false], backend.Submissions.Select(s => s.Spot));
    }

    [Fact]
    public async Task RunAsync_RunningToQueuedRegression_CountsAnEvictionWithoutResubmitting()
    {
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1",
                ScriptedJobBackend.Running(0.3, 10),
                new JobStatus(string.Empty, JobState.Queued, 0.3, 12, "Queued"),
                ScriptedJobBackend.Running(0.6, 20),
                ScriptedJobBackend.Completed(40));

        OrchestrationMetadata run = await RunAsync(backend, Request());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        JobOutcome outcome = run.ReadOutputAs<JobOutcome>()!;
        Assert.Equal((1, 1), (outcome.Attempts, outcome.Evictions));
        Assert.Single(backend.Submissions);
    }

    [Fact]
    public async Task RunAsync_CancelEvent_CancelsTheRunningJobAndFails()
    {
        var backend = new ScriptedJobBackend().Script($"{Prefix}-a1", ScriptedJobBackend.Running(0.2, 10));
        string id = $"{Prefix}-{Guid.NewGuid():N}";
        await using Microsoft.DurableTask.Testing.DurableTaskTestHost host = await Microsoft.DurableTask.Testing.DurableTaskTestHost.StartAsync(
            r => r.AddOrchestrator<JobRunOrchestrator>().AddActivity<SubmitJob>().AddActivity<GetJobStatus>().AddActivity<CancelJob>(),
            new Microsoft.DurableTask.Testing.DurableTaskTestHostOptions { ConfigureServices = s => s.AddSingleton<IJobBackend>(backend) });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(JobRunOrchestrator), Request(), new StartOrchestrationOptions(id), timeout.Token);
        while (backend.Queries.Count == 0)
        {
            await Task.Delay(100, timeout.Token);
        }

        await host.Client.RaiseEventAsync(id, JobRunOrchestrator.CancelEvent, true, timeout.Token);
        OrchestrationMetadata run = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("cancelled with the pipeline", run.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal([$"{Prefix}-a1"], backend.Cancelled);
    }

    [Fact]
    public async Task RunAsync_FailedWithPreemptionReason_TreatedAsEvictionAndResubmitted()
    {
        var backend = new ScriptedJobBackend()
            .Script($"{Prefix}-a1", ScriptedJobBackend.Running(0.4, 20), ScriptedJobBackend.Failed(0.4, 25, "PreemptionError: the low-priority node was preempted"))
            .Script($"{Prefix}-a2", ScriptedJobBackend.Completed(30));

        OrchestrationMetadata run = await RunAsync(backend, Request());

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        JobOutcome outcome = run.ReadOutputAs<JobOutcome>()!;
        Assert.Equal((2, 1), (outcome.Attempts, outcome.Evictions));
        Assert.Equal(JobState.Evicted, outcome.Ledger[0].Outcome);
    }
}
