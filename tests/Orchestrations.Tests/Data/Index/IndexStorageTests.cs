using System.Text;
using System.Text.Json;
using GenAiServerless.Data;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>What the model's near-duplicate index costs in storage over a sequence of runs, and that the way it is stored
/// does not change what a run curates.</summary>
public sealed class IndexStorageTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"index-storage-{Guid.NewGuid():N}");

    string Out(string name) => Path.Combine(root, name);

    /// <summary>The outputs of drops 1–6 as the stage produced them when every run saved a whole copy of the index
    /// (computed on 7e65cfa): the index's layout must not change a byte of them.</summary>
    static readonly string[] OutputsBeforeSegments =
    [
        "b243d92f7e984f18b6069f0966672acf",
        "6121543f512357950ba35684d0ad1870",
        "9cfab5a2967b64d366e677436559c1e1",
        "d473760aacfdc3a9475b4f41f62e68d0",
        "4a4e61328ae004d3d57c209b69a6a749",
        "60c9eb118760d7a898d2fe72329faf76",
    ];

    [Fact]
    public async Task RunAsync_SixDropsForOneModel_IndexStorageGrowsWithWhatEachDropAddsAndOutputsUnchanged()
    {
        var drops = new ModelDrops(root);
        var hashes = new List<string>();
        int indexed = 0;
        for (int drop = 1; drop <= 6; drop++)
        {
            await drops.RunAsync(Out("m"), drop);
            hashes.Add(drops.OutputsHash(Out("m"), drop));
            indexed = IndexedRecords(Out("m"), drops.RunId(drop));
        }

        Assert.Equal(OutputsBeforeSegments, hashes);

        // Every entry the model's index holds is stored once: no run saves another copy of what earlier runs saved.
        string model = Path.Combine(Out("m"), "curated", "shop");
        List<(string Path, int Entries)> stored = [.. Directory.GetFiles(model, "*", SearchOption.AllDirectories)
            .Select(f => (Path: f, Entries: SavedIndexEntries(f))).Where(f => f.Entries >= 0)];
        Assert.Equal(indexed, stored.Sum(f => f.Entries));
        Assert.Equal(6 * 40, indexed);

        // …and all of it lives under _index/, where everything besides the saved entries is a few small pointers.
        string index = Path.Combine(model, "_index");
        Assert.All(stored, f => Assert.StartsWith(index + Path.DirectorySeparatorChar, f.Path, StringComparison.Ordinal));
        long segmentBytes = stored.Sum(f => new FileInfo(f.Path).Length);
        long indexBytes = Directory.GetFiles(index, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.InRange(indexBytes - segmentBytes, 0, 6 * 2048);
    }

    [Fact]
    public async Task RunAsync_MoreSegmentsThanThePolicyAllows_CompactsIntoNewSegmentsAndOutputsUnchanged()
    {
        var drops = new ModelDrops(root);
        DataPolicy policy = ModelDrops.Policy with { Index = new IndexPolicy(MaxSegments: 2, Retention: TimeSpan.FromDays(7)) };
        var store = new FolderDataStore(drops.In, Out("c"));
        var hashes = new List<string>();
        var written = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var lists = new List<string>();
        string R(int drop) => drops.RunId(drop);
        for (int drop = 1; drop <= 6; drop++)
        {
            await drops.RunAsync(Out("c"), drop, policy);
            hashes.Add(drops.OutputsHash(Out("c"), drop));
            IndexManifest manifest = (await IndexManifest.ReadAsync(store, "shop", drops.RunId(drop), CancellationToken.None))!;
            Assert.Equal(40 * drop, manifest.Entries);
            lists.Add(string.Join(" ", manifest.Segments.Select(s => s.Path["_index/segments/".Length..])));

            // A segment once written is never written again: compaction makes a new one.
            foreach ((string path, byte[] bytes) in ModelDrops.Files(Out("c"), "_index/segments/"))
            {
                Assert.Equal(written.GetValueOrDefault(path, bytes), bytes);
                written[path] = bytes;
            }
        }

        Assert.Equal(OutputsBeforeSegments, hashes);
        Assert.Equal(
            [$"{R(1)}.bin", $"{R(1)}.bin {R(2)}.bin", $"{R(3)}.compacted.bin", $"{R(3)}.compacted.bin {R(4)}.bin", $"{R(5)}.compacted.bin", $"{R(5)}.compacted.bin {R(6)}.bin"],
            lists);
        Assert.Equal(120, SavedIndexEntries(Path.Combine(Out("c"), "curated", "shop", "_index", "segments", $"{R(3)}.compacted.bin")));
        Assert.False(File.Exists(Path.Combine(Out("c"), "curated", "shop", "_index", "segments", $"{R(3)}.bin")), "a compacting run writes no segment of its own");
    }

    /// <summary>The number of entries of a saved LSH index (a segment, or a whole index), or −1 for any other file.</summary>
    internal static int SavedIndexEntries(string file)
    {
        using var reader = new BinaryReader(File.OpenRead(file), Encoding.UTF8);
        if (reader.BaseStream.Length < 32 || reader.ReadByte() != "GenAiServerless.LshIndex".Length)
        {
            return -1;
        }

        reader.BaseStream.Position = 0;
        if (reader.ReadString() != "GenAiServerless.LshIndex")
        {
            return -1;
        }

        reader.ReadInt32(); // format
        reader.ReadUInt64(); // hasher seed
        reader.ReadInt32(); // bands
        reader.ReadInt32(); // rows
        reader.ReadDouble(); // verification threshold
        return reader.ReadInt32();
    }

    /// <summary>The records the model's index holds after the run, as its manifest reports them.</summary>
    internal static int IndexedRecords(string output, string runId)
    {
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(output, "curated", "shop", runId, "manifest.json")));
        return manifest.RootElement.GetProperty("nearDuplicateSearch").GetProperty("indexedRecords").GetInt32();
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
