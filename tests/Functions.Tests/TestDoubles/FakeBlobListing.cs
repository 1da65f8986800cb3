using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>A blob service whose containers list fixed blobs: what a folder run reads when its <c>_SUCCESS</c> marker lands.</summary>
sealed class FakeBlobListing(IReadOnlyDictionary<string, long> blobs) : BlobServiceClient
{
    public override BlobContainerClient GetBlobContainerClient(string blobContainerName) => new Container(blobs);

    sealed class Container(IReadOnlyDictionary<string, long> blobs) : BlobContainerClient
    {
        public override AsyncPageable<BlobItem> GetBlobsAsync(GetBlobsOptions? options = null, CancellationToken cancellationToken = default)
        {
            string prefix = options?.Prefix ?? string.Empty;
            BlobItem[] items = blobs
                .Where(pair => pair.Key.StartsWith(prefix, StringComparison.Ordinal))
                .OrderBy(pair => pair.Key, StringComparer.Ordinal)
                .Select(pair => BlobsModelFactory.BlobItem(
                    name: pair.Key,
                    properties: BlobsModelFactory.BlobItemProperties(accessTierInferred: false, eTag: new ETag($"\"etag-{pair.Key}\""), contentLength: pair.Value)))
                .ToArray();
            return AsyncPageable<BlobItem>.FromPages([Page<BlobItem>.FromValues(items, continuationToken: null, response: null!)]);
        }
    }
}
