using GenAiServerless.Data;
using GenAiServerless.Tests.Orchestrations.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>What the clean-up step deletes of the model's index, and when: only what no needed manifest lists, and only
/// once older than the retention.</summary>
public sealed class IndexRetentionTests : IDisposable
{
    static readonly TimeSpan Week = TimeSpan.FromDays(7);

    readonly string root = Path.Combine(Path.GetTempPath(), $"index-retention-{Guid.NewGuid():N}");
    readonly DateTimeOffset now = DateTimeOffset.UtcNow;
    readonly ModelDrops drops;

    public IndexRetentionTests() => drops = new ModelDrops(root);

    string Out(string name) => Path.Combine(root, name);

    string R(int drop) => drops.RunId(drop);

    static string Index(string output, string path) => Path.Combine(output, "curated", "shop", path.Replace('/', Path.DirectorySeparatorChar));

    static DataPolicy Compacting => ModelDrops.Policy with { Index = new IndexPolicy(MaxSegments: 2, Retention: Week) };

    [Fact]
    public async Task CollectAsync_SegmentsCompactionReplaced_DeletedOnlyOnceOlderThanTheRetention()
    {
        for (int drop = 1; drop <= 6; drop++)
        {
            await drops.RunAsync(Out("r"), drop, Compacting, new ManualClock(now));
        }

        var store = new FolderDataStore(drops.In, Out("r"));
        string[] before = [.. ModelDrops.Files(Out("r"), "_index/").Keys];

        IReadOnlyList<string> early = await IndexRetention.CollectAsync(store, "shop", Week, new ManualClock(now.AddDays(6)), CancellationToken.None);
        IReadOnlyList<string> late = await IndexRetention.CollectAsync(store, "shop", Week, new ManualClock(now.AddDays(8)), CancellationToken.None);
        IReadOnlyList<string> again = await IndexRetention.CollectAsync(store, "shop", Week, new ManualClock(now.AddDays(8)), CancellationToken.None);

        Assert.Empty(early);
        Assert.Equal(before, ModelDrops.Files(Out("r"), "_index/").Keys.Concat(late).Order(StringComparer.Ordinal));
        Assert.Empty(again);

        // Left: the latest run's manifest (run 6: run 5's compacted segment + run 6's) and its base's (run 5: its compacted one).
        Assert.Equal(
            ["_index/latest.txt", "_index/legacy-swept.txt", $"_index/runs/{R(5)}.json", $"_index/runs/{R(6)}.json", $"_index/segments/{R(5)}.compacted.bin", $"_index/segments/{R(6)}.bin"],
            ModelDrops.Files(Out("r"), "_index/").Keys);

        // The next drop is judged as it would be against an index that was never compacted or collected.
        await drops.RunAsync(Out("r"), 7, Compacting, new ManualClock(now.AddDays(8)));
        for (int drop = 1; drop <= 7; drop++)
        {
            await drops.RunAsync(Out("plain"), drop);
        }

        Assert.Equal(drops.OutputsHash(Out("plain"), 7), drops.OutputsHash(Out("r"), 7));
    }

    [Fact]
    public async Task RunAsync_RunThatFailedAfterItsFanIn_LeavesLatestAndItsSegmentIsCollectedLater()
    {
        await drops.RunAsync(Out("f"), 1);
        await drops.RunAsync(Out("f"), 2);
        await drops.FanInOnlyAsync(Out("f"), 3);
        var store = new FolderDataStore(drops.In, Out("f"));

        Assert.Equal(R(2), await NearDuplicateStep.LatestAsync(store, "shop", CancellationToken.None));
        Assert.True(File.Exists(Index(Out("f"), $"_index/segments/{R(3)}.bin")));

        // The next run starts from run 2's index, as if run 3 had never happened.
        await drops.RunAsync(Out("f"), 4, clock: new ManualClock(now));
        await drops.RunAsync(Out("ref"), 1);
        await drops.RunAsync(Out("ref"), 2);
        await drops.RunAsync(Out("ref"), 4);
        Assert.Equal(drops.OutputsHash(Out("ref"), 4), drops.OutputsHash(Out("f"), 4));
        IndexManifest latest = (await IndexManifest.ReadAsync(store, "shop", R(4), CancellationToken.None))!;
        Assert.Equal(R(2), latest.Base);
        Assert.Equal([$"_index/segments/{R(1)}.bin", $"_index/segments/{R(2)}.bin", $"_index/segments/{R(4)}.bin"], latest.Segments.Select(s => s.Path));

        // A week later the failed run's segment and manifest go; the latest's segments stay, however old.
        IReadOnlyList<string> collected = await IndexRetention.CollectAsync(store, "shop", Week, new ManualClock(now.AddDays(8)), CancellationToken.None);

        Assert.Equal([$"_index/runs/{R(1)}.json", $"_index/runs/{R(3)}.json", $"_index/segments/{R(3)}.bin"], collected.Order(StringComparer.Ordinal));
        Assert.True(File.Exists(Index(Out("f"), $"_index/segments/{R(1)}.bin")));
    }

    [Fact]
    public async Task CollectAsync_OldSegmentListedByAManifestYoungerThanTheRetention_Kept()
    {
        await drops.RunAsync(Out("y"), 1);
        await drops.RunAsync(Out("y"), 2, Compacting);
        await drops.RunAsync(Out("y"), 3, Compacting); // compacts: runs 1 and 2's segments are no longer the latest's
        await drops.RunAsync(Out("y"), 4, Compacting);
        var store = new FolderDataStore(drops.In, Out("y"));
        foreach (string file in Directory.GetFiles(Index(Out("y"), "_index"), "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, now.AddDays(-30).UtcDateTime);
        }

        // Run 2's manifest was (re)written recently: a run that may still publish it needs its segments.
        File.SetLastWriteTimeUtc(Index(Out("y"), $"_index/runs/{R(2)}.json"), now.AddDays(-1).UtcDateTime);

        IReadOnlyList<string> collected = await IndexRetention.CollectAsync(store, "shop", Week, new ManualClock(now), CancellationToken.None);

        Assert.Equal([$"_index/runs/{R(1)}.json"], collected);
        Assert.True(File.Exists(Index(Out("y"), $"_index/segments/{R(1)}.bin")));
        Assert.True(File.Exists(Index(Out("y"), $"_index/segments/{R(2)}.bin")));
    }

    [Fact]
    public async Task RunAsync_ModelIndexedBeforeSegments_ReadsTheWholeIndexAsOneSegmentAndCollectsItOnceReplaced()
    {
        await drops.RunAsync(Out("new"), 1);

        // The layout before segments, as run 1 left it: its whole index in its folder, the pointer on it; and a failed
        // run's whole index nothing points at.
        string legacy = Out("legacy");
        byte[] whole = File.ReadAllBytes(Index(Out("new"), $"_index/segments/{R(1)}.bin"));
        Directory.CreateDirectory(Index(legacy, R(1)));
        Directory.CreateDirectory(Index(legacy, R(0)));
        Directory.CreateDirectory(Index(legacy, "_index"));
        File.WriteAllBytes(Index(legacy, $"{R(1)}/lsh-index.bin"), whole);
        File.WriteAllText(Index(legacy, $"{R(1)}/lsh-index.base.txt"), "");
        File.WriteAllBytes(Index(legacy, $"{R(0)}/lsh-index.bin"), whole);
        File.WriteAllText(Index(legacy, $"{R(0)}/lsh-index.base.txt"), "");
        File.WriteAllText(Index(legacy, "_index/latest.txt"), R(1));

        var hashes = new List<string>();
        for (int drop = 2; drop <= 4; drop++)
        {
            await drops.RunAsync(legacy, drop, ModelDrops.Policy with { Index = new IndexPolicy(MaxSegments: 3, Retention: Week) }, new ManualClock(now));
            hashes.Add(drops.OutputsHash(legacy, drop));
        }

        var store = new FolderDataStore(drops.In, legacy);
        Assert.Equal([$"{R(1)}/lsh-index.bin", $"_index/segments/{R(2)}.bin"], (await IndexManifest.ReadAsync(store, "shop", R(2), CancellationToken.None))!.Segments.Select(s => s.Path));
        Assert.Equal([$"_index/segments/{R(4)}.compacted.bin"], (await IndexManifest.ReadAsync(store, "shop", R(4), CancellationToken.None))!.Segments.Select(s => s.Path));
        for (int drop = 2; drop <= 4; drop++)
        {
            await drops.RunAsync(Out("new"), drop);
        }

        Assert.Equal([drops.OutputsHash(Out("new"), 2), drops.OutputsHash(Out("new"), 3), drops.OutputsHash(Out("new"), 4)], hashes);

        // Run 4's base (run 3) still lists the old whole index; once run 5 is the latest, nothing needs it.
        await drops.RunAsync(legacy, 5, ModelDrops.Policy with { Index = new IndexPolicy(MaxSegments: 3, Retention: Week) }, new ManualClock(now.AddDays(8)));

        Assert.False(File.Exists(Index(legacy, $"{R(0)}/lsh-index.bin")));
        Assert.False(File.Exists(Index(legacy, $"{R(1)}/lsh-index.bin")));
        Assert.False(File.Exists(Index(legacy, $"{R(1)}/lsh-index.base.txt")));
        Assert.True(File.Exists(Index(legacy, "_index/legacy-swept.txt")));
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
