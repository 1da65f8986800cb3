using System.Collections.Concurrent;
using System.Diagnostics;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Orchestrations.Registry;
using GenAiServerless.Tests.Orchestrations.Rollout;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Orchestrations.Pipeline;

/// <summary>The model's slot: one holder, a line in arrival order, and a hand-over that wakes the next run.</summary>
public sealed class ModelSlotTests
{
    [Fact]
    public void Claim_FreeSlot_IsTakenAndClaimingAgainIsIdempotent()
    {
        (SlotRecord held, SlotState state) = SlotRecord.Free.Claim("a");

        Assert.True(state.Acquired);
        Assert.Equal(new SlotState(true, "a"), held.Claim("a").State);
        Assert.Same(held, held.Claim("a").Next);
    }

    [Fact]
    public void Claim_HeldSlot_JoinsTheLineOnceInArrivalOrder()
    {
        SlotRecord slot = SlotRecord.Free.Claim("a").Next;

        (slot, SlotState b) = slot.Claim("b");
        (slot, SlotState c) = slot.Claim("c");
        (slot, SlotState bAgain) = slot.Claim("b");

        Assert.Equal(new SlotState(false, "a", 0), b);
        Assert.Equal(new SlotState(false, "a", 1), c);
        Assert.Equal(new SlotState(false, "a", 0), bAgain);
        Assert.Equal(["b", "c"], slot.Waiting);
    }

    [Fact]
    public void Release_ByTheHolder_HandsTheSlotToTheFirstInLine()
    {
        SlotRecord slot = SlotRecord.Free.Claim("a").Next.Claim("b").Next.Claim("c").Next;

        (slot, SlotRelease release) = slot.Release("a");

        Assert.Equal("b", release.HandedTo);
        Assert.Equal("b", slot.Holder);
        Assert.Equal(["c"], slot.Waiting);
        Assert.True(slot.Claim("b").State.Acquired);
        Assert.False(slot.Claim("c").State.Acquired);
    }

    [Fact]
    public void Release_ByARunInLine_LeavesTheLineAndHandsNothing()
    {
        SlotRecord slot = SlotRecord.Free.Claim("a").Next.Claim("b").Next.Claim("c").Next;

        (slot, SlotRelease release) = slot.Release("b");

        Assert.Null(release.HandedTo);
        Assert.Equal("a", slot.Holder);
        Assert.Equal(["c"], slot.Waiting);
        Assert.Equal("c", slot.Release("a").Release.HandedTo);
    }

    [Fact]
    public void Release_LastHolder_FreesTheSlot() =>
        Assert.Same(SlotRecord.Free, SlotRecord.Free.Claim("a").Next.Release("a").Next);

    /// <summary>Three deployments of one model started together: each waits in line and is woken by the one before it,
    /// so they roll out one after the other in arrival order and none waits for the periodic recheck (minutes).</summary>
    [Fact]
    public async Task DeploymentOrchestrator_ThreeDeploysAtOnce_RunOneAfterAnotherInArrivalOrderWokenByHandOver()
    {
        var slot = new InMemorySlot();
        var endpoints = new InMemoryEndpointHost("shop");
        var registry = new RecordingModelRegistry();
        var policy = new RolloutPolicy([100], TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200), "hi");
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
            r => r.AddOrchestrator<DeploymentOrchestrator>()
                .AddRolloutTasks()
                .AddActivity<SetModelAlias>()
                .AddActivityFunc<ModelVersionCheck, VersionVerification>(nameof(VerifyModelVersion), (_, _) => new VersionVerification(true, "verified", [], "k1"))
                .AddActivityFunc<SlotClaim, SlotState>(nameof(ClaimModelSlot), (_, claim) => slot.Claim(claim.RunId))
                .AddActivityFunc<SlotClaim, SlotRelease>(nameof(ReleaseModelSlot), (_, claim) => slot.Release(claim.RunId)),
            new DurableTaskTestHostOptions
            {
                ConfigureServices = s => s.AddSingleton<IEndpointHost>(endpoints).AddSingleton<IDeploymentMetrics>(endpoints).AddSingleton(TimeProvider.System)
                    .AddSingleton<IModelRegistry>(registry).AddSingleton<IRolloutAliases, RegistryRolloutAliases>().AddSingleton<IQualityProbeTexts>(new FixedProbeTexts()),
                Port = DurableRun.FreePort(),
            });
        var clock = Stopwatch.StartNew();
        string[] ids = [.. Enumerable.Range(1, 3).Select(v => $"shop-deploy-v{v}-{Guid.NewGuid():N}")];
        for (int v = 1; v <= 3; v++)
        {
            var version = new ModelVersionInfo("shop", v, $"registry/shop/v{v}/", $"r{v}", $"r{v}-train", "m", "h", new Dictionary<string, double>(), DateTime.UnixEpoch);
            await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeploymentOrchestrator), new DeploymentRequest(version, policy), new StartOrchestrationOptions(ids[v - 1]));
            await Task.Delay(300); // arrival order: v1, v2, v3
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        foreach (string id in ids)
        {
            OrchestrationMetadata done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
            Assert.True(done.ReadOutputAs<RolloutResult>()!.Succeeded);
        }

        Assert.Equal(ids, slot.HoldersInOrder);
        Assert.Equal([1, 2, 3], registry.Aliases.Where(a => a.Alias == ModelAliases.Champion).Select(a => a.Version));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the line took {clock.Elapsed}: a wake-up was missed");
    }

    /// <summary>The slot as the blob keeps it, in memory.</summary>
    sealed class InMemorySlot
    {
        readonly Lock gate = new();
        readonly ConcurrentQueue<string> holders = new();
        SlotRecord record = SlotRecord.Free;

        public IReadOnlyList<string> HoldersInOrder => [.. holders];

        public SlotState Claim(string runId)
        {
            lock (gate)
            {
                (record, SlotState state) = record.Claim(runId);
                if (state.Acquired && !holders.Contains(runId))
                {
                    holders.Enqueue(runId);
                }

                return state;
            }
        }

        public SlotRelease Release(string runId)
        {
            lock (gate)
            {
                (record, SlotRelease release) = record.Release(runId);
                return release;
            }
        }
    }
}
