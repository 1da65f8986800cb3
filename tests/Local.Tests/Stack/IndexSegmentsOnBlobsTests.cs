using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using GenAiServerless.Data;
using GenAiServerless.Platform;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>The model's near-duplicate index on blob storage, written by the Data stage's activities on the real engine:
/// segments, compaction, the pointer, and retention through <see cref="BlobDataStore"/>'s listing and deletes.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class IndexSegmentsOnBlobsTests(StackFixture fixture)
{
    [Fact]
    public async Task DataPrepOrchestrator_ThreeDropsCompactingEachTime_PublishesEachAndRetentionDeletesOnlyWhatNothingNeeds()
    {
        string model = $"index{Guid.NewGuid():N}"[..16];
        var blobs = new BlobServiceClient(fixture.ConnectionString);
        BlobContainerClient curated = blobs.GetBlobContainerClient(PipelineStorage.Curated);
        var policy = new DataPolicy(0.1, 0.1, 2000, 1000, DataQualityPresets.Off, Index: new IndexPolicy(MaxSegments: 1, Retention: TimeSpan.FromDays(7)));
        for (int run = 1; run <= 3; run++)
        {
            string text = string.Concat(Enumerable.Range(0, 50).Select(i =>
                $$"""{"id":"r{{i}}","text":"drop {{run}} record {{i}} tells of {{i * 7919 % 1000}} checkpoints and {{(i + run) * 104729 % 997}} spot evictions"}""" + "\n"));
            string blobName = $"{model}/drop-{run}.jsonl";
            BlobContentInfo info = (await blobs.GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName).UploadAsync(BinaryData.FromString(text))).Value;
            var input = new DataPrepInput(model, $"{model}-run-{run}", [new DropBlob(blobName, info.ETag.ToString(), System.Text.Encoding.UTF8.GetByteCount(text))], policy);

            string id = await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DataPrepOrchestrator), input, new StartOrchestrationOptions(input.RunId));
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            OrchestrationMetadata done = await fixture.Stack.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: false, timeout.Token);

            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(input.RunId, (await curated.GetBlobClient($"{model}/_index/latest.txt").DownloadContentAsync()).Value.Content.ToString());
        }

        var store = new BlobDataStore(new PipelineStorage(blobs, new QueueServiceClient(fixture.ConnectionString)));
        IndexManifest latest = (await IndexManifest.ReadAsync(store, model, $"{model}-run-3", CancellationToken.None))!;
        Assert.Equal([$"_index/segments/{model}-run-3.compacted.bin"], latest.Segments.Select(s => s.Path));
        Assert.Equal(150, latest.Entries);

        // Every blob is younger than a week: nothing goes. A week on, run 1's manifest and segment go, once.
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Assert.Empty(await IndexRetention.CollectAsync(store, model, TimeSpan.FromDays(7), new FixedClock(now.AddDays(6)), CancellationToken.None));
        IReadOnlyList<string> collected = await IndexRetention.CollectAsync(store, model, TimeSpan.FromDays(7), new FixedClock(now.AddDays(8)), CancellationToken.None);
        Assert.Empty(await IndexRetention.CollectAsync(store, model, TimeSpan.FromDays(7), new FixedClock(now.AddDays(8)), CancellationToken.None));

        Assert.Equal([$"_index/runs/{model}-run-1.json", $"_index/segments/{model}-run-1.bin"], collected);
        var left = new List<string>();
        await foreach (StoredOutput item in store.ListAsync(PipelineStorage.Curated, $"{model}/_index/", CancellationToken.None))
        {
            Assert.InRange(item.LastModified, now.AddMinutes(-10), now.AddMinutes(10));
            left.Add(item.Path[(model.Length + 1)..]);
        }

        Assert.Equal(
            ["_index/latest.txt", "_index/legacy-swept.txt", $"_index/runs/{model}-run-2.json", $"_index/runs/{model}-run-3.json",
             $"_index/segments/{model}-run-2.compacted.bin", $"_index/segments/{model}-run-3.compacted.bin"],
            left);
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
