using GenAiServerless.Data;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>The fan-in's side of the model's index: retried attempts, reruns of a published run, and a pointer that moves
/// only onto a whole index.</summary>
public sealed class NearDuplicateStepTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"index-step-{Guid.NewGuid():N}");

    string Out(string name) => Path.Combine(root, name);

    [Theory]
    [InlineData(8)]
    [InlineData(1)] // every run compacts
    public async Task DeduplicateDataDrop_RetriedAttempt_WritesTheSameSegmentAndManifest(int maxSegments)
    {
        var drops = new ModelDrops(root);
        DataPolicy policy = ModelDrops.Policy with { Index = new IndexPolicy(maxSegments, TimeSpan.FromDays(7)) };
        await drops.RunAsync(Out("a"), 1, policy);
        await drops.FanInOnlyAsync(Out("a"), 2, policy);
        SortedDictionary<string, byte[]> first = ModelDrops.Files(Out("a"), "_index/");

        await drops.FanInOnlyAsync(Out("a"), 2, policy);

        Assert.Equal(first, ModelDrops.Files(Out("a"), "_index/"));
        Assert.Contains(maxSegments == 1 ? $"_index/segments/{drops.RunId(2)}.compacted.bin" : $"_index/segments/{drops.RunId(2)}.bin", first.Keys);
        Assert.Equal(drops.RunId(1), await NearDuplicateStep.LatestAsync(new FolderDataStore(drops.In, Out("a")), "shop", CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_PublishedRunAgain_StartsFromItsRecordedBaseAndChangesNothing()
    {
        var drops = new ModelDrops(root);
        await drops.RunAsync(Out("p"), 1);
        await drops.RunAsync(Out("p"), 2);
        string outputs = drops.OutputsHash(Out("p"), 2);
        SortedDictionary<string, byte[]> index = ModelDrops.Files(Out("p"), "_index/");

        DataPrepResult again = await drops.RunAsync(Out("p"), 2);

        Assert.Equal(40, again.RecordsCurated); // its own records are not duplicates of themselves
        Assert.Equal(outputs, drops.OutputsHash(Out("p"), 2));
        Assert.Equal(index, ModelDrops.Files(Out("p"), "_index/"));
    }

    [Fact]
    public async Task PublishAsync_SegmentOfTheRunMissing_ThrowsNamingItAndLeavesThePointer()
    {
        var drops = new ModelDrops(root);
        await drops.RunAsync(Out("m"), 1);
        await drops.FanInOnlyAsync(Out("m"), 2);
        var store = new FolderDataStore(drops.In, Out("m"));
        File.Delete(Path.Combine(Out("m"), "curated", "shop", "_index", "segments", $"{drops.RunId(2)}.bin"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NearDuplicateStep.PublishAsync(store, "shop", drops.RunId(2), CancellationToken.None));

        Assert.Contains($"shop/_index/segments/{drops.RunId(2)}.bin is missing", error.Message, StringComparison.Ordinal);
        Assert.Equal(drops.RunId(1), await NearDuplicateStep.LatestAsync(store, "shop", CancellationToken.None));
    }

    [Fact]
    public async Task RunAsync_BaseManifestNamingAPathOutsideTheIndex_FailsNamingTheManifest()
    {
        var drops = new ModelDrops(root);
        await drops.RunAsync(Out("d"), 1);
        string manifest = Path.Combine(Out("d"), "curated", "shop", "_index", "runs", $"{drops.RunId(1)}.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("_index/segments/", "../other/_index/segments/", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => drops.RunAsync(Out("d"), 2));

        Assert.Contains($"shop/_index/runs/{drops.RunId(1)}.json: '../other/_index/segments/{drops.RunId(1)}.bin'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
