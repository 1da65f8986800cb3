using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Orchestrations.Registry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

public class RolloutOrchestratorTests
{
    private const string Model = "shop";
    private const string Previous = "v4-live";

    private static readonly DeployableModel Version5 = new(Model, 5, "models/shop/v5/");

    private static readonly RolloutPolicy Policy = new(TrafficSteps: [10, 50, 100], BakeTime: TimeSpan.Zero, ReadinessTimeout: TimeSpan.FromSeconds(10), ReadinessPollInterval: TimeSpan.FromMilliseconds(200), ProbePrompt: "the model");

    private static (string InstanceId, string Deployment) NewInstance()
    {
        string instanceId = $"{Model}-deploy-{Guid.NewGuid():N}";
        return (instanceId, RolloutOrchestrator.DeploymentName(Version5.Version, instanceId));
    }

    private static void AddTasks(DurableTaskRegistry r) => r.AddOrchestrator<RolloutOrchestrator>()
        .AddActivity<GetEndpoint>()
        .AddActivity<CreateDeployment>()
        .AddActivity<ShiftTraffic>()
        .AddActivity<DeleteDeployment>()
        .AddActivity<ProbeEndpoint>()
        .AddActivity<AnalyzeCanary>()
        .AddActivity<MoveModelAliases>()
        .AddActivity<ReadModelAliases>()
        .AddActivity<RestoreModelAliases>();

    private static void AddServices(IServiceCollection services, InMemoryEndpointHost endpoints, IRolloutAliases aliases, IQualityProbeTexts? texts = null) => services
        .AddSingleton<IEndpointHost>(endpoints)
        .AddSingleton<IDeploymentMetrics>(endpoints)
        .AddSingleton<IRolloutAliases>(aliases)
        .AddSingleton(texts ?? new FixedProbeTexts())
        .AddSingleton(TimeProvider.System);

    private static async Task<RolloutResult> RunAsync(InMemoryEndpointHost endpoints, string instanceId, RolloutPolicy? policy = null, IRolloutAliases? aliases = null, IQualityProbeTexts? texts = null)
    {
        OrchestrationMetadata run = await DurableRun.RunAsync(
            AddTasks,
            services => AddServices(services, endpoints, aliases ?? new InMemoryRolloutAliases(4), texts),
            nameof(RolloutOrchestrator),
            new RolloutRequest(Version5, policy ?? Policy),
            instanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        return run.ReadOutputAs<RolloutResult>()!;
    }

    private static Dictionary<string, int> Split(params (string Deployment, int Percent)[] parts) =>
        parts.ToDictionary(p => p.Deployment, p => p.Percent, StringComparer.Ordinal);

    [Fact]
    public async Task RunAsync_PreviousDeploymentLive_StepsTrafficAndRetiresPrevious()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal((deployment, Previous), (result.Deployment, result.PreviousDeployment));
        Assert.Equal(
            [Split((deployment, 10), (Previous, 90)), Split((deployment, 50), (Previous, 50)), Split((deployment, 100))],
            endpoints.TrafficHistory);
        Assert.Equal([Previous], endpoints.Deleted);
        Assert.Equal([deployment], endpoints.Deployments);
        Assert.Equal($"the model … answered by {deployment}", result.ProbeAnswer);
        Assert.Equal($"retired {Previous}", result.Steps[^1]);
        Assert.Contains($"alias champion → v5, previous → v4", result.Steps);
    }

    [Fact]
    public async Task RunAsync_NoPreviousDeployment_GoesStraightToFullTraffic()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model);
        RolloutResult result = await RunAsync(endpoints, instanceId);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Null(result.PreviousDeployment);
        Assert.Equal([Split((deployment, 100))], endpoints.TrafficHistory);
        Assert.Empty(endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_ProbesFailAtHalfTraffic_RestoresPreviousAndDeletesNew()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            FailsWhen = (name, percent) => name == deployment && percent >= 50,
        }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId);

        Assert.False(result.Succeeded);
        Assert.Contains("at 50%", result.Detail, StringComparison.Ordinal);
        Assert.Contains($"deployment {deployment} answered HTTP 500", result.Detail, StringComparison.Ordinal);
        Assert.Equal(
            [Split((deployment, 10), (Previous, 90)), Split((deployment, 50), (Previous, 50)), Split((Previous, 100))],
            endpoints.TrafficHistory);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Equal([Previous], endpoints.Deployments);
        Assert.Equal($"rolled back: traffic on {Previous}", result.Steps[^1]);
    }

    [Fact]
    public async Task RunAsync_DeploymentFailsToProvision_RollsBackNamingFailure()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            ProvisioningFailure = "OutOfQuota: not enough Standard_DS3_v2 quota",
        }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId);

        Assert.False(result.Succeeded);
        Assert.Equal($"deployment {deployment} failed to provision: OutOfQuota: not enough Standard_DS3_v2 quota", result.Detail);
        Assert.Empty(endpoints.TrafficHistory);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal([deployment], endpoints.Deleted);
    }

    /// <summary>A policy whose bakes are judged every 100 ms by metrics, over a bake long enough that a test would notice
    /// a rollback that waited for its end.</summary>
    private static RolloutPolicy Analysed(TimeSpan bake, TimeSpan grace = default) => Policy with
    {
        BakeTime = bake,
        PromotionGrace = grace,
        Analysis = new AnalysisPolicy(TimeSpan.FromMilliseconds(100), MinRequests: 20, MaxErrorRateRatio: 2, ErrorRateFloor: 0.02,
            MaxLatencyRatio: 1.5, LatencyFloor: TimeSpan.FromMilliseconds(100), QualityPrompts: ["q1", "q2"]),
    };

    [Fact]
    public async Task RunAsync_CanaryErrorsAtTenPercent_RollsBackAtTheFirstSample()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => name == deployment ? new DeploymentMetrics(name, 100, 30, 20) : new DeploymentMetrics(name, 900, 1, 20),
        }.WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMinutes(10)), aliases);

        Assert.False(result.Succeeded);
        Assert.StartsWith($"analysis at 10%: error rate of {deployment} is 30.0% (30 of 100), above 2.0%", result.Detail, StringComparison.Ordinal);
        Assert.Equal([deployment, Previous], endpoints.MetricReads);
        Assert.Equal([Split((deployment, 10), (Previous, 90)), Split((Previous, 100))], endpoints.TrafficHistory);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Equal(4, aliases.Champion);
    }

    [Fact]
    public async Task RunAsync_CanaryP95ThreeTimesTheCurrent_RollsBack()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => name == deployment ? new DeploymentMetrics(name, 50, 0, 600) : new DeploymentMetrics(name, 450, 0, 200),
        }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMinutes(10)));

        Assert.False(result.Succeeded);
        Assert.Equal($"analysis at 10%: p95 latency of {deployment} is 600 ms, above 300 ms (1.5× {Previous}'s 200 ms, floor 100 ms)", result.Detail);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
    }

    [Fact]
    public async Task RunAsync_HealthyCanary_JudgedEachStepThenPromotedWithAliases()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => new DeploymentMetrics(name, 200, 2, 40),
        }.WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMilliseconds(300)), aliases);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(3, result.Steps.Count(s => s.StartsWith("analysis at ", StringComparison.Ordinal) && s.Contains("200 requests, error rate 1.0%", StringComparison.Ordinal)));
        Assert.Equal((5, 4), (aliases.Champion!.Value, aliases.Previous!.Value));
        Assert.Equal($"the model … answered by {deployment}", result.ProbeAnswer);
        Assert.Equal([Previous], endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_CanaryWorseOnTheFixedTexts_RollsBackAtTheFirstStep()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => new DeploymentMetrics(name, 200, 0, 40),
            BitsPerByteWhen = (name, _) => name == deployment ? 2.2 : 2.0,
        }.WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMinutes(10)), aliases, new FixedProbeTexts("first text", "second text"));

        Assert.False(result.Succeeded);
        Assert.Equal($"analysis at 10%: quality probe: {deployment} 2.2000 bits/byte vs {Previous} 2.0000 over 2 texts (+10.0%, limit +5%)", result.Detail);
        Assert.Equal(
            [(deployment, "first text"), (Previous, "first text"), (deployment, "second text"), (Previous, "second text")],
            endpoints.LossRequests);
        Assert.Equal([Split((deployment, 10), (Previous, 90)), Split((Previous, 100))], endpoints.TrafficHistory);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Equal(4, aliases.Champion);
    }

    [Fact]
    public async Task RunAsync_CanaryAsGoodOnTheFixedTexts_PromotedWithTheFiguresInEachStep()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => new DeploymentMetrics(name, 200, 0, 40),
        }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMilliseconds(300)), texts: new FixedProbeTexts("first text", "second text"));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(3, result.Steps.Count(s => s.StartsWith("analysis at ", StringComparison.Ordinal)
            && s.EndsWith($"; quality: {deployment} 1.0000 bits/byte vs {Previous} 1.0000 over 2 texts (+0.0%, limit +5%)", StringComparison.Ordinal)));
        Assert.Equal(Split((deployment, 100)), endpoints.Traffic);
    }

    [Fact]
    public async Task RunAsync_ModelWithoutFixedSet_ScoresTheConfiguredTexts()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model) { MetricsWhen = (name, percent) => new DeploymentMetrics(name, 200, 0, 40) }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMilliseconds(100)));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(["q1", "q2"], endpoints.LossRequests.Where(r => r.Deployment == deployment).Select(r => r.Text).Distinct());
    }

    [Fact]
    public async Task RunAsync_FirstRollout_QualityJudgesOnlyThatEveryTextWasScored()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => new DeploymentMetrics(name, 200, 0, 40),
            BitsPerByteWhen = (_, _) => 7.5,
        };
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMilliseconds(100)), texts: new FixedProbeTexts("only text"));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Contains(result.Steps, s => s.EndsWith($"; quality: {deployment} scored 1 texts, 7.5000 bits/byte (no baseline to compare with)", StringComparison.Ordinal));
        Assert.All(endpoints.LossRequests, r => Assert.Equal(deployment, r.Deployment));
    }

    [Fact]
    public async Task RunAsync_HostRestartsAfterTrafficShift_WaitsForReadinessAndCompletes()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model) { RestartsAfterShiftTo = 10, ReloadReads = 3 }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId);

        Assert.Equal(1, endpoints.Restarts);
        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(
            [Split((deployment, 10), (Previous, 90)), Split((deployment, 50), (Previous, 50)), Split((deployment, 100))],
            endpoints.TrafficHistory);
        Assert.Equal([Previous], endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_HostRestartsDuringProbe_ProbesAgainOnceReady()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model) { RestartsDuringProbeAt = 50 }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId);

        Assert.Equal(1, endpoints.Restarts);
        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal(Split((deployment, 100)), endpoints.Traffic);
        Assert.Equal([Previous], endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_RestartedDeploymentNeverReady_RollsBackAfterReadinessTimeout()
    {
        (string instanceId, string deployment) = NewInstance();
        RolloutPolicy policy = Policy with { ReadinessTimeout = TimeSpan.FromSeconds(1) };
        var endpoints = new InMemoryEndpointHost(Model) { RestartsAfterShiftTo = 10, ReloadReads = int.MaxValue }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId, policy);

        Assert.False(result.Succeeded);
        Assert.Equal($"deployment {deployment} was not ready within {policy.ReadinessTimeout}", result.Detail);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal([deployment], endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_TooFewRequests_NoVerdictAndPromotes()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            MetricsWhen = (name, percent) => new DeploymentMetrics(name, 3, 3, 900),
        }.WithLiveDeployment(Previous, 4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.FromMilliseconds(200)));

        Assert.True(result.Succeeded, result.Detail);
        Assert.Contains(result.Steps, s => s.StartsWith($"analysis at 10%: no verdict: {deployment} served 3 requests, fewer than the 20 needed for a verdict; quality: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_PausedThenResumed_HoldsTheStepUntilResumed()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        await using DurableTaskTestHost host = await StartAsync(endpoints, new InMemoryRolloutAliases(4));
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RolloutOrchestrator), new RolloutRequest(Version5, Analysed(TimeSpan.FromMilliseconds(500))), new StartOrchestrationOptions(instanceId));

        await WaitForPhaseAsync(host, instanceId, p => p.Phase == "baking" && p.Percent == 10);
        await host.Client.RaiseEventAsync(instanceId, RolloutCommand.EventName, new RolloutCommand(RolloutAction.Pause, "alice"));
        await WaitForPhaseAsync(host, instanceId, p => p.Paused);

        // Paused well past the bake time: the split stays where it was.
        await Task.Delay(1500);
        Assert.Equal(Split((deployment, 10), (Previous, 90)), endpoints.Traffic);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(instanceId))!.RuntimeStatus);

        await host.Client.RaiseEventAsync(instanceId, RolloutCommand.EventName, new RolloutCommand(RolloutAction.Resume, "alice"));
        RolloutResult result = await CompletedAsync(host, instanceId);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Contains("paused by alice at 10%", result.Steps);
        Assert.Contains("resumed by alice", result.Steps);
        Assert.Equal(Split((deployment, 100)), endpoints.Traffic);
    }

    [Fact]
    public async Task RunAsync_OperatorRollbackDuringBake_RestoresPreviousAtOnce()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4);
        await using DurableTaskTestHost host = await StartAsync(endpoints, aliases);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RolloutOrchestrator), new RolloutRequest(Version5, Analysed(TimeSpan.FromMinutes(10))), new StartOrchestrationOptions(instanceId));

        await WaitForPhaseAsync(host, instanceId, p => p.Phase == "baking" && p.Percent == 10);
        await host.Client.RaiseEventAsync(instanceId, RolloutCommand.EventName, new RolloutCommand(RolloutAction.Rollback, "bob"));
        RolloutResult result = await CompletedAsync(host, instanceId);

        Assert.False(result.Succeeded);
        Assert.Equal("rolled back by bob at 10%", result.Detail);
        Assert.Equal([Split((deployment, 10), (Previous, 90)), Split((Previous, 100))], endpoints.TrafficHistory);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Equal(4, aliases.Champion);
    }

    [Fact]
    public async Task RunAsync_RollbackInGracePeriod_IsATrafficChangeAndAliasesFollow()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4);
        await using DurableTaskTestHost host = await StartAsync(endpoints, aliases);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RolloutOrchestrator),
            new RolloutRequest(Version5, Analysed(TimeSpan.Zero, grace: TimeSpan.FromSeconds(3))), new StartOrchestrationOptions(instanceId));

        // The in-process engine (0.2.3-preview) hands an external event over with the next timer, so the grace period is
        // short here; the rollback must still win over the retirement.

        await WaitForPhaseAsync(host, instanceId, p => p.Phase == "grace");
        Assert.Equal(Split((deployment, 100)), endpoints.Traffic);
        Assert.Contains(Previous, endpoints.Deployments);
        Assert.Equal(5, aliases.Champion);
        await host.Client.RaiseEventAsync(instanceId, RolloutCommand.EventName, new RolloutCommand(RolloutAction.Rollback, "carol"));
        RolloutResult result = await CompletedAsync(host, instanceId);

        Assert.False(result.Succeeded);
        Assert.Equal("rolled back by carol at 100%", result.Detail);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Equal(4, aliases.Champion);
    }

    [Fact]
    public async Task RunAsync_RollbackInGracePeriod_ChampionServesAgainAndPreviousIsAsBefore()
    {
        (string instanceId, _) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        RecordingModelRegistry registry = await RegistryWithChampionAsync(3, 4);
        await using DurableTaskTestHost host = await StartAsync(endpoints, new RegistryRolloutAliases(registry));
        await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RolloutOrchestrator),
            new RolloutRequest(Version5, Analysed(TimeSpan.Zero, grace: TimeSpan.FromSeconds(3))), new StartOrchestrationOptions(instanceId));
        await WaitForPhaseAsync(host, instanceId, p => p.Phase == "grace");
        Assert.Equal((5, 4), (registry.State.Aliases[ModelAliases.Champion].Version, registry.State.Aliases[ModelAliases.Previous].Version));

        await host.Client.RaiseEventAsync(instanceId, RolloutCommand.EventName, new RolloutCommand(RolloutAction.Rollback, "carol"));
        RolloutResult result = await CompletedAsync(host, instanceId);

        // v4 serves, so it is the champion; previous is what it was before the rollout; v5 is no alias's target, and the
        // history says it was rolled back.
        Assert.False(result.Succeeded);
        ModelAliasState state = registry.State;
        Assert.Equal((4, 3), (state.Aliases[ModelAliases.Champion].Version, state.Aliases[ModelAliases.Previous].Version));
        Assert.Empty(state.For(5));
        Assert.Contains(state.History, m => m.From == 5 && m.Reason.Contains("rolled back", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_FirstDeploymentRegistryFailsAfterMovingChampion_NoChampionLeftBehind()
    {
        (string instanceId, _) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model);
        var registry = new RecordingModelRegistry { FailsAfterMove = a => a.Alias == ModelAliases.Champion && a.Version == 5 };

        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.Zero), new RegistryRolloutAliases(registry));

        // Nothing serves after the rollback, and nothing was champion before: the registry must not name v5.
        Assert.False(result.Succeeded);
        Assert.Contains("mirror unavailable", result.Detail, StringComparison.Ordinal);
        Assert.Empty(endpoints.Deployments);
        Assert.Empty(registry.State.Aliases);
    }

    [Fact]
    public async Task RunAsync_RegistryFailsAfterMovingChampion_ChampionAndPreviousAsBefore()
    {
        (string instanceId, _) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        RecordingModelRegistry registry = await RegistryWithChampionAsync(3, 4, failsAfterMovingTo: 5);

        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.Zero), new RegistryRolloutAliases(registry));

        Assert.False(result.Succeeded);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        ModelAliasState state = registry.State;
        Assert.Equal((4, 3), (state.Aliases[ModelAliases.Champion].Version, state.Aliases[ModelAliases.Previous].Version));
        Assert.Empty(state.For(5));
    }

    [Fact]
    public async Task RunAsync_RegistryFailsToMoveChampion_EndpointGoesBackWithIt()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4) { FailsWhen = m => m.Champion == 5 };
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.Zero), aliases);

        Assert.False(result.Succeeded);
        Assert.Contains("registry unavailable", result.Detail, StringComparison.Ordinal);

        // The endpoint and the registry agree: v4 serves and is the champion.
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal(4, aliases.Champion);
        Assert.Equal([deployment], endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_RetirementFails_StillPromotedAndRegistryAgrees()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model) { DeleteFailsWhen = name => name == Previous }.WithLiveDeployment(Previous, 4);
        var aliases = new InMemoryRolloutAliases(4);
        RolloutResult result = await RunAsync(endpoints, instanceId, Analysed(TimeSpan.Zero), aliases);

        Assert.True(result.Succeeded, result.Detail);
        Assert.StartsWith($"{Previous} not retired (it takes no traffic; delete it by hand)", result.Steps[^1], StringComparison.Ordinal);
        Assert.Equal(Split((deployment, 100)), endpoints.Traffic);
        Assert.Equal((5, 4), (aliases.Champion!.Value, aliases.Previous!.Value));
    }

    /// <summary>A registry whose champion was <paramref name="first"/>, then <paramref name="then"/> (so previous is <paramref name="first"/>).</summary>
    private static async Task<RecordingModelRegistry> RegistryWithChampionAsync(int first, int then, int? failsAfterMovingTo = null)
    {
        var registry = new RecordingModelRegistry { FailsAfterMove = a => a.Alias == ModelAliases.Champion && a.Version == failsAfterMovingTo };
        await registry.SetAliasAsync(new AliasAssignment(Model, ModelAliases.Champion, first), CancellationToken.None);
        await registry.SetAliasAsync(new AliasAssignment(Model, ModelAliases.Champion, then), CancellationToken.None);
        return registry;
    }

    private static Task<DurableTaskTestHost> StartAsync(InMemoryEndpointHost endpoints, IRolloutAliases aliases) =>
        DurableTaskTestHost.StartAsync(AddTasks, new DurableTaskTestHostOptions { ConfigureServices = s => AddServices(s, endpoints, aliases), Port = DurableRun.FreePort() });

    private static async Task WaitForPhaseAsync(DurableTaskTestHost host, string instanceId, Func<RolloutProgress, bool> reached)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            OrchestrationMetadata? m = await host.Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
            if (m?.ReadCustomStatusAs<RolloutProgress>() is { } progress && reached(progress))
            {
                return;
            }

            Assert.False(m?.IsCompleted ?? false, $"the rollout ended before the phase: {m?.SerializedOutput}");
            await Task.Delay(50, timeout.Token);
        }
    }

    private static async Task<RolloutResult> CompletedAsync(DurableTaskTestHost host, string instanceId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<RolloutResult>()!;
    }
}
