using System.Collections.Concurrent;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Orchestrations.Registry;
using GenAiServerless.Tests.Orchestrations.Rollout;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Orchestrations.Pipeline;

/// <summary>A manual deployment: it takes the model's slot like a pipeline run (waiting in line: ModelSlotTests), rolls
/// out with the real rollout orchestrator (on an in-memory endpoint) and moves the champion alias only when the rollout
/// succeeds.</summary>
public sealed class DeploymentOrchestratorTests
{
    const string Model = "shop";

    static readonly ModelVersionInfo Version7 = new(Model, 7, "registry/shop/runs/r7/files/", "r7", "r7-train-a1", "curated/shop/r7/manifest.json", "abc",
        new Dictionary<string, double>(), DateTime.UnixEpoch);

    static readonly RolloutPolicy Policy = new([50, 100], TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200), "hi");

    static async Task<(RolloutResult Result, List<string> Calls)> RunAsync(InMemoryEndpointHost endpoints, RecordingModelRegistry registry, int busyClaims, string? tampered = null)
    {
        var calls = new ConcurrentQueue<string>();
        OrchestrationMetadata run = await DurableRun.RunAsync(
            r => r.AddOrchestrator<DeploymentOrchestrator>()
                .AddRolloutTasks()
                .AddActivity<SetModelAlias>()
                .AddActivityFunc<ModelVersionCheck, VersionVerification>(nameof(VerifyModelVersion), (_, check) =>
                {
                    calls.Enqueue(nameof(VerifyModelVersion));
                    return tampered is null
                        ? new VersionVerification(true, "verified", [], "k1")
                        : new VersionVerification(false, $"refused {check.Model} v{check.Version}: {tampered}", [tampered], "k1");
                })
                .AddActivityFunc<SlotClaim, SlotState>(nameof(ClaimModelSlot), (_, claim) =>
                {
                    calls.Enqueue(nameof(ClaimModelSlot));
                    return busyClaims-- > 0 ? new SlotState(false, "shop-drop-running") : new SlotState(true, claim.RunId);
                })
                .AddActivityFunc<SlotClaim, SlotRelease>(nameof(ReleaseModelSlot), (_, _) =>
                {
                    calls.Enqueue(nameof(ReleaseModelSlot));
                    return new SlotRelease(null);
                }),
            services => services.AddSingleton<IEndpointHost>(endpoints).AddSingleton<IDeploymentMetrics>(endpoints).AddSingleton(TimeProvider.System)
                .AddSingleton<IModelRegistry>(registry).AddSingleton<IRolloutAliases, RegistryRolloutAliases>().AddSingleton<IQualityProbeTexts>(new FixedProbeTexts()),
            nameof(DeploymentOrchestrator),
            new DeploymentRequest(Version7, Policy),
            $"{Model}-deploy-v7-{Guid.NewGuid():N}");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        return (run.ReadOutputAs<RolloutResult>()!, [.. calls]);
    }

    [Fact]
    public async Task RunAsync_SlotFree_RollsOutPromotesChampionAndReleases()
    {
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment("v6-live", 6);
        var registry = new RecordingModelRegistry();

        (RolloutResult result, List<string> calls) = await RunAsync(endpoints, registry, busyClaims: 0);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal([nameof(ClaimModelSlot), nameof(VerifyModelVersion), nameof(ReleaseModelSlot)], calls);
        Assert.Equal([(ModelAliases.Previous, 6), (ModelAliases.Champion, 7)], registry.Aliases.Select(a => (a.Alias, a.Version)));
        Assert.All(registry.Aliases, a => Assert.Equal(("rollout", Model), (a.By, a.Model)));
        Assert.Contains("alias champion → v7, previous → v6", result.Steps);
        Assert.Equal(["v6-live"], endpoints.Deleted);
    }

    [Fact]
    public async Task RunAsync_RolloutFails_KeepsTheChampionAndReleasesTheSlot()
    {
        var endpoints = new InMemoryEndpointHost(Model) { ProvisioningFailure = "OutOfQuota" }.WithLiveDeployment("v6-live", 6);
        var registry = new RecordingModelRegistry();

        (RolloutResult result, List<string> calls) = await RunAsync(endpoints, registry, busyClaims: 0);

        Assert.False(result.Succeeded);
        Assert.Empty(registry.Aliases);
        Assert.Equal(nameof(ReleaseModelSlot), calls[^1]);
    }

    [Fact]
    public async Task RunAsync_VersionFailsVerification_RefusesBeforeAnyDeploymentAndKeepsTheChampion()
    {
        var endpoints = new InMemoryEndpointHost(Model).WithLiveDeployment("v6-live", 6);
        var registry = new RecordingModelRegistry();

        (RolloutResult result, List<string> calls) = await RunAsync(endpoints, registry, busyClaims: 0, tampered: "file model.json changed");

        Assert.False(result.Succeeded);
        Assert.Equal("refused shop v7: file model.json changed", result.Detail);
        Assert.Empty(registry.Aliases);
        Assert.Empty(endpoints.Deleted);
        Assert.Equal([nameof(ClaimModelSlot), nameof(VerifyModelVersion), nameof(ReleaseModelSlot)], calls);
    }
}
