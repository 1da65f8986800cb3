using GenAiServerless.Platform;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Triggers;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Local.Pipeline;

/// <summary>The drift alerts' storm guard on Azurite: conditional writes under contention, and the starter turning an
/// alert away while another drift run holds the model's cooldown.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class DriftCooldownOnStorageTests(StackFixture fixture)
{
    static readonly TimeSpan Cooldown = TimeSpan.FromHours(6);

    PipelineStorage Storage => fixture.Stack.Services.GetRequiredService<PipelineStorage>();

    [Fact]
    public async Task ClaimAsync_EightAlertsAtOnce_OneRunStartsAndTheOthersWaitForTheCooldown()
    {
        string model = $"drift-{Guid.NewGuid():N}"[..20];
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string[] runs = [.. Enumerable.Range(0, 8).Select(i => $"{model}-drift-{i}")];

        DriftCooldownClaim[] claims = await Task.WhenAll(runs.Select(r => Task.Run(() => DriftCooldown.ClaimAsync(Storage, model, r, now, Cooldown, CancellationToken.None))));

        DriftCooldownClaim granted = Assert.Single(claims, c => c.Granted);
        Assert.All(claims, c => Assert.Equal(granted.Holder, c.Holder));
        Assert.All(claims, c => Assert.Equal(now + Cooldown, c.Until));
        Assert.True((await DriftCooldown.ClaimAsync(Storage, model, granted.Holder, now.AddMinutes(5), Cooldown, CancellationToken.None)).Granted);
        string other = runs.First(r => r != granted.Holder);
        Assert.False((await DriftCooldown.ClaimAsync(Storage, model, other, now + Cooldown - TimeSpan.FromSeconds(1), Cooldown, CancellationToken.None)).Granted);
        Assert.True((await DriftCooldown.ClaimAsync(Storage, model, other, now + Cooldown, Cooldown, CancellationToken.None)).Granted);
    }

    [Fact]
    public async Task ReleaseAsync_ByTheHolder_FreesIt_ByAnotherRun_LeavesIt()
    {
        string model = $"driftrel-{Guid.NewGuid():N}"[..20];
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Assert.True((await DriftCooldown.ClaimAsync(Storage, model, "a", now, Cooldown, CancellationToken.None)).Granted);

        await DriftCooldown.ReleaseAsync(Storage, model, "b", CancellationToken.None);
        Assert.False((await DriftCooldown.ClaimAsync(Storage, model, "b", now, Cooldown, CancellationToken.None)).Granted);
        await DriftCooldown.ReleaseAsync(Storage, model, "a", CancellationToken.None);

        Assert.True((await DriftCooldown.ClaimAsync(Storage, model, "b", now, Cooldown, CancellationToken.None)).Granted);
    }

    [Fact]
    public async Task StartForDriftAlertAsync_ModelInItsCooldown_AcceptedNamingTheRunAndStartsNothing()
    {
        // Another drift run of the stack's model holds the cooldown (this stack keeps the default six hours).
        const string holder = StackFixture.Model + "-drift-holder";
        Assert.True((await DriftCooldown.ClaimAsync(Storage, StackFixture.Model, holder, DateTimeOffset.UtcNow, Cooldown, CancellationToken.None)).Granted);
        try
        {
            string alertId = $"/subscriptions/s/alerts/{Guid.NewGuid():N}";
            string alert = "{\"schemaId\":\"azureMonitorCommonAlertSchema\",\"data\":{\"essentials\":{\"alertId\":\"" + alertId
                + "\",\"alertRule\":\"perplexity-drift\",\"severity\":\"Sev2\",\"monitorCondition\":\"Fired\"},\"customProperties\":{\"model\":\"" + StackFixture.Model + "\"}}}";

            TriggerOutcome outcome = await fixture.Stack.Starter.StartForDriftAlertAsync(alert, CancellationToken.None);

            Assert.Equal(TriggerOutcomeKind.Accepted, outcome.Kind);
            Assert.Equal(holder, outcome.InstanceId);
            Assert.Contains("cooldown", outcome.Message, StringComparison.Ordinal);
            Assert.Null(await fixture.Stack.Client.GetInstanceAsync(InstanceIds.ForDriftAlert(StackFixture.Model, alertId)));
        }
        finally
        {
            await DriftCooldown.ReleaseAsync(Storage, StackFixture.Model, holder, CancellationToken.None);
        }
    }
}
