using GenAiServerless.Rollout;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
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

    private static async Task<RolloutResult> RunAsync(InMemoryEndpointHost endpoints, string instanceId, RolloutPolicy? policy = null)
    {
        OrchestrationMetadata run = await DurableRun.RunAsync(
            r => r.AddOrchestrator<RolloutOrchestrator>()
                .AddActivity<GetEndpoint>()
                .AddActivity<CreateDeployment>()
                .AddActivity<ShiftTraffic>()
                .AddActivity<DeleteDeployment>()
                .AddActivity<ProbeEndpoint>(),
            services => services.AddSingleton<IEndpointHost>(endpoints),
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
}
