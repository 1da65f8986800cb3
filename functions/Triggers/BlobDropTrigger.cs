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
/// for that model on that file, or on its folder once the folder's <c>_SUCCESS</c> marker lands.</summary>
public sealed class BlobDropTrigger(PipelineStarterFactory starters, ILogger<BlobDropTrigger> logger)
{
    /// <summary>The binding pattern. It binds the whole name after <c>incoming/</c>: the WebJobs matcher turns every
    /// <c>{parameter}</c> into a greedy <c>(.*)</c>, so <c>incoming/{model}/{name}</c> would bind <c>model</c> to
    /// <c>tinylm/b1</c> for <c>incoming/tinylm/b1/part.jsonl</c>. <see cref="DropPath"/> splits the name the way the
    /// local scanner does.</summary>
    public const string BlobPath = PipelineStorage.Incoming + "/{name}";

    [Function(nameof(BlobDropTrigger))]
    public async Task<TriggerOutcome> RunAsync(
        [BlobTrigger(BlobPath, Source = BlobTriggerSource.EventGrid, Connection = "Storage")] BlobClient blob,
        string name,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        DropPath drop = DropPath.Parse(name);

        // The ETag makes the instance id: the same upload seen twice starts one run, a re-upload starts another.
        BlobProperties properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        TriggerOutcome outcome = await starters.Create(client)
            .StartForDropAsync(drop.Model, drop.BlobName, properties.ETag.ToString(), properties.ContentLength, cancellationToken);
        TriggerLog.Outcome(logger, nameof(BlobDropTrigger), outcome);
        return outcome;
    }
}
