using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>The Data stage's fan-out and fan-in on the real engine (Durable Task on Azurite) and blob storage: a file
/// cut into byte-range shards, each curated by its own activity, with duplicates found across shards.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class DataStageOnEngineTests(StackFixture fixture)
{
    [Fact]
    public async Task DataPrepOrchestrator_FileLargerThanShardBytes_FansOutFindsDuplicatesAcrossShardsAndCleansUp()
    {
        // ≈ 600 KB of JSONL (about 10 shards of 64 KB) with a line repeated far apart (in different shards) and an invalid line.
        var text = new StringBuilder();
        for (int i = 0; i < 6000; i++)
        {
            text.Append(i is 5 or 5990 ? """{"id":"same","text":"this exact line appears twice, once at each end of the file"}""" : i == 3000 ? "{broken" : $$"""{"id":"r{{i}}","text":"record {{i}} tells of {{i * 7919 % 1000}} checkpoints and {{i * 104729 % 997}} spot evictions in region {{i % 13}}"}""");
            text.Append('\n');
        }

        string blobName = $"{StackFixture.Model}/sharded-{Guid.NewGuid():N}.jsonl";
        BlobClient blob = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(text.ToString()))).Value;
        var drop = new DropBlob(blobName, info.ETag.ToString(), Encoding.UTF8.GetByteCount(text.ToString()));
        var input = new DataPrepInput(StackFixture.Model, $"shards-{Guid.NewGuid():N}", [drop], new DataPolicy(0.1, 0.1, 2000, 1000, DataQualityPresets.Off, ShardBytes: 64 * 1024));

        string id = await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DataPrepOrchestrator), input, new StartOrchestrationOptions(input.RunId));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        OrchestrationMetadata run = await fixture.Stack.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        DataPrepResult result = run.ReadOutputAs<DataPrepResult>()!;
        Assert.Equal(6000, result.RecordsRead);
        Assert.Equal(1, result.RecordsQuarantined);
        Assert.Equal(1, result.ExactDuplicates);
        Assert.Equal(5998, result.RecordsCurated);
        BlobContainerClient curated = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Curated);
        string manifest = (await curated.GetBlobClient($"{StackFixture.Model}/{input.RunId}/manifest.json").DownloadContentAsync()).Value.Content.ToString();
        using var doc = System.Text.Json.JsonDocument.Parse(manifest);
        Assert.True(doc.RootElement.GetProperty("shards").GetArrayLength() >= 5);
        string dropped = (await curated.GetBlobClient($"{StackFixture.Model}/{input.RunId}/dropped.jsonl").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains($"incoming/{blobName}:5991", dropped, StringComparison.Ordinal);
        string quarantined = (await new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Quarantine)
            .GetBlobClient($"{StackFixture.Model}/{input.RunId}/records.jsonl").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("\"line\":3001", quarantined, StringComparison.Ordinal);
        await foreach (BlobItem item in curated.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{StackFixture.Model}/{input.RunId}/_work/", CancellationToken.None))
        {
            Assert.Fail($"working file left behind: {item.Name}");
        }
    }
}
