using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace GenAiServerless.Platform;

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

    /// <summary>Splits a <c>container/prefix/</c> address (the form outputs travel in) into its container and prefix.</summary>
    public (BlobContainerClient Container, string Prefix) Locate(string containerAndPrefix)
    {
        ArgumentNullException.ThrowIfNull(containerAndPrefix);
        int slash = containerAndPrefix.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            throw new ArgumentException($"'{containerAndPrefix}' is not a container/prefix address", nameof(containerAndPrefix));
        }

        return (Container(containerAndPrefix[..slash]), containerAndPrefix[(slash + 1)..]);
    }

    /// <summary>Downloads every blob under a <c>container/prefix/</c> into <paramref name="target"/>, keeping the relative
    /// paths; returns how many files it wrote.</summary>
    public async Task<int> DownloadTreeAsync(string containerAndPrefix, string target, CancellationToken cancellationToken)
    {
        (BlobContainerClient container, string prefix) = Locate(containerAndPrefix);
        Directory.CreateDirectory(target);
        int files = 0;
        await foreach (Azure.Storage.Blobs.Models.BlobItem item in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            string path = Path.Combine(target, item.Name[prefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await container.GetBlobClient(item.Name).DownloadToAsync(path, cancellationToken);
            files++;
        }

        return files;
    }

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
