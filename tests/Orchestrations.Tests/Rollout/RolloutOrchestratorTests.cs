using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Orchestrations.Registry;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

public class RolloutOrchestratorTests
{
    private const string Model = "shop";
    private const string Previous = "v4-live";

    private static readonly ModelVersionInfo Version5 = new(
        Model, 5, "models/shop/v5/", "run-5", "shop-run5-train-a1", "curated/shop/run-5/manifest.json", "0123abcd",
        new Dictionary<string, double> { ["test_perplexity"] = 40.0 }, new DateTime(2025, 6, 1, 2, 0, 0, DateTimeKind.Utc));

    private static readonly RolloutPolicy Policy = new(TrafficSteps: [10, 50, 100], BakeSeconds: 0, ReadinessTimeoutSeconds: 10, ProbePrompt: "the model");

    private static (string InstanceId, string Deployment) NewInstance()
    {
        string instanceId = $"{Model}-deploy-{Guid.NewGuid():N}";
        return (instanceId, RolloutOrchestrator.DeploymentName(Version5.Version, instanceId));
    }

    private static async Task<RolloutResult> RunAsync(InMemoryEndpointHost endpoints, RecordingModelRegistry registry, string instanceId)
    {
        OrchestrationMetadata run = await DurableRun.RunAsync(
            r => r.AddOrchestrator<RolloutOrchestrator>()
                .AddActivity<GetEndpoint>()
                .AddActivity<CreateDeployment>()
                .AddActivity<ShiftTraffic>()
                .AddActivity<DeleteDeployment>()
                .AddActivity<ProbeEndpoint>()
                .AddActivity<SetModelAlias>(),
            services => services.AddSingleton<IEndpointHost>(endpoints).AddSingleton<IModelRegistry>(registry),
            nameof(RolloutOrchestrator),
            new RolloutRequest(Model, Version5, Policy),
            instanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        return run.ReadOutputAs<RolloutResult>()!;
    }

    private static Dictionary<string, int> Split(params (string Deployment, int Percent)[] parts) =>
        parts.ToDictionary(p => p.Deployment, p => p.Percent, StringComparer.Ordinal);

    [Fact]
    public async Task RunAsync_PreviousDeploymentLive_StepsTrafficRetiresPreviousAndPromotesChampion()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment(Previous, 4);
        var registry = new RecordingModelRegistry();

        RolloutResult result = await RunAsync(endpoints, registry, instanceId);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal((deployment, Previous), (result.Deployment, result.PreviousDeployment));
        Assert.Equal(
            [Split((deployment, 10), (Previous, 90)), Split((deployment, 50), (Previous, 50)), Split((deployment, 100))],
            endpoints.TrafficHistory);
        Assert.Equal([Previous], endpoints.Deleted);
        Assert.Equal([deployment], endpoints.Deployments);
        Assert.Equal([new AliasAssignment(Model, "champion", 5)], registry.Aliases);
        Assert.Equal($"the model … answered by {deployment}", result.ProbeAnswer);
        Assert.Equal($"retired {Previous}", result.Steps[^2]);
    }

    [Fact]
    public async Task RunAsync_NoPreviousDeployment_GoesStraightToFullTraffic()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model);
        var registry = new RecordingModelRegistry();

        RolloutResult result = await RunAsync(endpoints, registry, instanceId);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Null(result.PreviousDeployment);
        Assert.Equal([Split((deployment, 100))], endpoints.TrafficHistory);
        Assert.Empty(endpoints.Deleted);
        Assert.Equal([new AliasAssignment(Model, "champion", 5)], registry.Aliases);
    }

    [Fact]
    public async Task RunAsync_ProbesFailAtHalfTraffic_RestoresPreviousAndDeletesNewKeepingChampion()
    {
        (string instanceId, string deployment) = NewInstance();
        var endpoints = new InMemoryEndpointHost(Model)
        {
            FailsWhen = (name, percent) => name == deployment && percent >= 50,
        }.WithLiveDeployment(Previous, 4);
        var registry = new RecordingModelRegistry();

        RolloutResult result = await RunAsync(endpoints, registry, instanceId);

        Assert.False(result.Succeeded);
        Assert.Contains("at 50%", result.Detail, StringComparison.Ordinal);
        Assert.Contains($"deployment {deployment} answered HTTP 500", result.Detail, StringComparison.Ordinal);
        Assert.Equal(
            [Split((deployment, 10), (Previous, 90)), Split((deployment, 50), (Previous, 50)), Split((Previous, 100))],
            endpoints.TrafficHistory);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Equal([Previous], endpoints.Deployments);
        Assert.Empty(registry.Aliases);
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
        var registry = new RecordingModelRegistry();

        RolloutResult result = await RunAsync(endpoints, registry, instanceId);

        Assert.False(result.Succeeded);
        Assert.Equal($"deployment {deployment} failed to provision: OutOfQuota: not enough Standard_DS3_v2 quota", result.Detail);
        Assert.Empty(endpoints.TrafficHistory);
        Assert.Equal(Split((Previous, 100)), endpoints.Traffic);
        Assert.Equal([deployment], endpoints.Deleted);
        Assert.Empty(registry.Aliases);
    }
}
