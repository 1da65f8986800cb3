using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace GenAiServerless.Pipeline;

/// <summary>The storage account's containers and queues, named once.</summary>
public sealed class PipelineStorage(BlobServiceClient blobs, QueueServiceClient queues)
{
    public const string Incoming = "incoming";
    public const string Curated = "curated";
    public const string Quarantine = "quarantine";
    public const string Models = "models";
    public const string Registry = "registry";
    public const string Endpoints = "endpoints";
    public const string DriftAlertsQueue = "drift-alerts";
    public const string EventsQueue = "pipeline-events";

    static readonly string[] Containers = [Incoming, Curated, Quarantine, Models, Registry, Endpoints];
    static readonly string[] Queues = [DriftAlertsQueue, EventsQueue];

    public BlobServiceClient Blobs { get; } = blobs;

    public QueueServiceClient QueueService { get; } = queues;

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);

    public QueueClient Queue(string name) => QueueService.GetQueueClient(name);

    /// <summary>Creates every container and queue the pipeline uses (idempotent).</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (string c in Containers)
        {
            await Container(c).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }

        foreach (string q in Queues)
        {
            await Queue(q).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }
}
