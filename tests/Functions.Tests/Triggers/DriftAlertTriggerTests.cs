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

    [Fact]
    public async Task RunAsync_DatasetDriftEventAsEventGridQueuesIt_SchedulesRetrainingOfTheMonitoredModel()
    {
        using var services = TestApp.Services();
        var trigger = new DriftAlertTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<DriftAlertTrigger>.Instance);
        var client = new FakeDurableTaskClient();
        string driftEvent = $$$"""
            {"id":"evt-9","eventType":"{{{DriftAlertParser.DatasetDriftDetected}}}","subject":"datadrifts/d1/runs/r1","eventTime":"2026-12-01T10:00:00Z","dataVersion":"2",
             "data":{"DataDriftId":"d1","DataDriftName":"{{{TestApp.Model}}}-weekly","RunId":"r1","DriftCoefficient":0.7}}
            """;

        // Event Grid writes Base64 to the queue, and the queue trigger (messageEncoding none) hands it over as it is.
        TriggerOutcome outcome = await trigger.RunAsync(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(driftEvent)), client, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Started, outcome.Kind);
        FakeDurableTaskClient.Scheduled scheduled = Assert.Single(client.ScheduledInstances);
        Assert.Equal(InstanceIds.ForDriftAlert(TestApp.Model, "evt-9"), scheduled.InstanceId);
        Assert.Equal(TestApp.Model, Assert.IsType<PipelineRequest>(scheduled.Input).Model);
    }
}
