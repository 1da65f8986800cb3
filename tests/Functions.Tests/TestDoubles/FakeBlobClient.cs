using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>A blob whose properties are known without storage: what the blob trigger binds to.</summary>
sealed class FakeBlobClient(string etag, long length) : BlobClient
{
    public int PropertyReads { get; private set; }

    public override Task<Response<BlobProperties>> GetPropertiesAsync(BlobRequestConditions? conditions = null, CancellationToken cancellationToken = default)
    {
        PropertyReads++;
        BlobProperties properties = BlobsModelFactory.BlobProperties(eTag: new ETag(etag), contentLength: length);
        return Task.FromResult(Response.FromValue(properties, null!));
    }
}
