using System.Diagnostics;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Local.Pipeline;

/// <summary>The model's slot on Azurite (conditional writes under contention) and its hand-over on the real engine
/// (the releasing orchestration's event reaching the next run through the sidecar and the Azure Storage backend).</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class ModelSlotOnStorageTests(StackFixture fixture)
{
    PipelineStorage Storage => fixture.Stack.Services.GetRequiredService<PipelineStorage>();

    [Fact]
    public async Task ClaimAsync_EightRunsAtOnce_OneHoldsTheOthersLineUpAndEachReleaseHandsToTheNext()
    {
        string model = $"slot-{Guid.NewGuid():N}"[..20];
        string[] runs = [.. Enumerable.Range(0, 8).Select(i => $"run-{i}")];

        SlotState[] states = await Task.WhenAll(runs.Select(r => Task.Run(() => ModelSlot.ClaimAsync(Storage, new SlotClaim(model, r), CancellationToken.None))));

        SlotState holder = Assert.Single(states, s => s.Acquired);
        Assert.Equal(Enumerable.Range(0, 7), states.Where(s => !s.Acquired).Select(s => s.Ahead).Order());
        var order = new List<string> { holder.Holder! };
        for (int i = 0; i < 7; i++)
        {
            SlotRelease release = await ModelSlot.ReleaseAsync(Storage, model, order[^1], CancellationToken.None);
            order.Add(release.HandedTo!);
            Assert.True((await ModelSlot.ClaimAsync(Storage, new SlotClaim(model, release.HandedTo!), CancellationToken.None)).Acquired);
        }

        Assert.Equal(runs.Order(), order.Order());
        Assert.Null((await ModelSlot.ReleaseAsync(Storage, model, order[^1], CancellationToken.None)).HandedTo);
        Assert.False(await ModelSlot.Blob(Storage, model).ExistsAsync());
    }

    [Fact]
    public async Task DeploymentOrchestrator_TwoDeploysOfOneModel_TheSecondIsWokenByTheHandOver()
    {
        string model = $"slotwake{Guid.NewGuid():N}"[..16];
        var policy = new RolloutPolicy([100], TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), "hi");
        string[] ids = [$"{model}-deploy-a", $"{model}-deploy-b"];

        // Someone else holds the model: both deploys line up behind it.
        Assert.True((await ModelSlot.ClaimAsync(Storage, new SlotClaim(model, "holder"), CancellationToken.None)).Acquired);
        foreach (string id in ids)
        {
            // No files behind these versions: each rollout fails at provisioning, quickly; what matters is the slot.
            var version = new ModelVersionInfo(model, 1, $"{PipelineStorage.Registry}/{model}/missing/", id, id, "m", "h", new Dictionary<string, double>(), DateTime.UnixEpoch);
            await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeploymentOrchestrator), new DeploymentRequest(version, policy), new StartOrchestrationOptions(id));
            await WaitUntilInLineAsync(model, id);
        }

        // The holder leaves as the starter's cancel does: release, then wake the run it was handed to. The first deploy's
        // own release then wakes the second from inside its orchestration.
        var clock = Stopwatch.StartNew();
        SlotRelease release = await ModelSlot.ReleaseAsync(Storage, model, "holder", CancellationToken.None);
        Assert.Equal(ids[0], release.HandedTo);
        await fixture.Stack.Client.RaiseEventAsync(ids[0], ModelSlotClaims.GrantedEvent, model);
        foreach (string id in ids)
        {
            await fixture.WaitForEndAsync(id, TimeSpan.FromSeconds(60));
        }

        // The second waited in line; without the hand-over it would wake only at the five-minute recheck.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.False(await ModelSlot.Blob(Storage, model).ExistsAsync());
    }

    async Task WaitUntilInLineAsync(string model, string runId)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            var content = (await ModelSlot.Blob(Storage, model).DownloadContentAsync()).Value.Content;
            if (content.ToObjectFromJson<SlotRecord>()!.Waiting.Contains(runId))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{runId} never joined the line of {model}");
    }
}
