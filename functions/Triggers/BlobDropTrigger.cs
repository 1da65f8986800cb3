using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Functions.Triggers;

/// <summary>A file landed in <c>incoming/{model}/…</c> (Event Grid delivers the blob-created event): start the pipeline
/// for that model on that file.</summary>
public sealed class BlobDropTrigger(PipelineStarterFactory starters, ILogger<BlobDropTrigger> logger)
{
    [Function(nameof(BlobDropTrigger))]
    public async Task<TriggerOutcome> RunAsync(
        [BlobTrigger(PipelineStorage.Incoming + "/{model}/{name}", Source = BlobTriggerSource.EventGrid, Connection = "Storage")] BlobClient blob,
        string model,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);

        // The ETag makes the instance id: the same upload seen twice starts one run, a re-upload starts another.
        BlobProperties properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        TriggerOutcome outcome = await starters.Create(client)
            .StartForDropAsync(model, $"{model}/{name}", properties.ETag.ToString(), properties.ContentLength, cancellationToken);
        TriggerLog.Outcome(logger, nameof(BlobDropTrigger), outcome);
        return outcome;
    }
}
