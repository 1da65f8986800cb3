using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Functions.Triggers;

public sealed class DriftAlertTriggerTests
{
    static string Alert(string condition, string alertId = "/subscriptions/s/alerts/a-1") => $$"""
        {
          "schemaId": "azureMonitorCommonAlertSchema",
          "data": {
            "essentials": { "alertId": "{{alertId}}", "alertRule": "perplexity-drift", "severity": "Sev2", "monitorCondition": "{{condition}}" },
            "customProperties": { "model": "{{TestApp.Model}}" }
          }
        }
        """;

    [Fact]
    public async Task RunAsync_ResolvedAlert_AcceptedWithNoOrchestration()
    {
        using var services = TestApp.Services();
        var trigger = new DriftAlertTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<DriftAlertTrigger>.Instance);
        var client = new FakeDurableTaskClient();

        TriggerOutcome outcome = await trigger.RunAsync(Alert("Resolved"), client, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Accepted, outcome.Kind);
        Assert.Null(outcome.InstanceId);
        Assert.Empty(client.ScheduledInstances);
    }

    [Fact]
    public async Task RunAsync_FiredAlert_SchedulesRetrainingNamedByAlert()
    {
        using var services = TestApp.Services();
        var trigger = new DriftAlertTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<DriftAlertTrigger>.Instance);
        var client = new FakeDurableTaskClient();

        TriggerOutcome outcome = await trigger.RunAsync(Alert("Fired"), client, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Started, outcome.Kind);
        FakeDurableTaskClient.Scheduled scheduled = Assert.Single(client.ScheduledInstances);
        Assert.Equal(InstanceIds.ForDriftAlert(TestApp.Model, "/subscriptions/s/alerts/a-1"), scheduled.InstanceId);
        Assert.Equal(PipelineTrigger.DriftAlert, Assert.IsType<PipelineRequest>(scheduled.Input).Trigger);
    }
}
