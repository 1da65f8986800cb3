using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Functions.Triggers;

/// <summary>A drift alert (Azure Monitor common alert schema) arrived on the <c>drift-alerts</c> queue: retrain the model
/// it names, once per alert.</summary>
public sealed class DriftAlertTrigger(PipelineStarterFactory starters, ILogger<DriftAlertTrigger> logger)
{
    [Function(nameof(DriftAlertTrigger))]
    public async Task<TriggerOutcome> RunAsync(
        [QueueTrigger(PipelineStorage.DriftAlertsQueue, Connection = "Storage")] string message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        // A rejected alert returns normally: the starter has quarantined it with its reason, and throwing would only
        // retry a message that can never succeed until the poison queue takes it. Storage or engine failures still
        // throw, and those retries are wanted.
        TriggerOutcome outcome = await starters.Create(client).StartForDriftAlertAsync(message, cancellationToken);
        TriggerLog.Outcome(logger, nameof(DriftAlertTrigger), outcome);
        return outcome;
    }
}
