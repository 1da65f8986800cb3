using GenAiServerless.Data.Dedup;

namespace GenAiServerless.Tests.Orchestrations.Data.Dedup;

public sealed class SpilledDropTests : IDisposable
{
    readonly string scratch = Path.Combine(Path.GetTempPath(), "genai-spilled-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>A drop with near-duplicate families (a chain a ~ b ~ c among them), exact-signature copies and
    /// unrelated texts, in (order, id) order.</summary>
    static List<(string Id, long Order, string Text)> Records(int seed)
    {
        var random = new Random(seed);
        var records = new List<(string, long, string)>();
        for (var family = 0; family < 30; family++)
        {
            var (original, copy) = DedupTexts.Pair(random, random.Next(60, 250), random.Next(0, 4));
            records.Add(($"f{family}-a", records.Count, original));
            records.Add(($"f{family}-b", records.Count, copy));
            records.Add(($"u{family}", records.Count, DedupTexts.Words(random, random.Next(5, 200))));
        }

        records.Add(("no-words", records.Count, "... !!! ..."));
        return records;
    }

    static SpilledDrop Spill(LshIndex index, string folder, IEnumerable<(string Id, long Order, string Text)> records)
    {
        using var builder = index.BeginSpilledDrop(folder);
        foreach (var (id, order, text) in records)
        {
            builder.Add(id, order, MinHasher.Default.Compute(text));
        }

        return builder.Complete();
    }

    [Fact]
    public void Cluster_SpilledDrop_SameClustersAsTheBatchDrop_WithAndWithoutConfirmation()
    {
        var records = Records(31);
        var index = new LshIndex();
        var batch = index.Prepare([DedupTexts.Batch([.. records])]);
        using var spilled = Spill(index, scratch, records);
        var sets = records.Select(r => NearDuplicateFinder.ShingleSet(r.Text)).ToArray();
        bool Exact(int a, int b) => NearDuplicateFinder.Jaccard(sets[a], sets[b]) >= 0.8;

        foreach (var confirm in new Func<int, int, bool>?[] { null, Exact, (_, _) => true })
        {
            var expected = index.Cluster(batch, confirm);
            var actual = index.Cluster(spilled, confirm);

            Assert.Equal(expected.Root, actual.Root);
            Assert.Equal(expected.Partner, actual.Partner);
            Assert.Equal((expected.CandidatePairs, expected.VerifiedPairs), (actual.CandidatePairs, actual.VerifiedPairs));
            Assert.Equal(batch.KeptCount, spilled.KeptCount);
        }

        Assert.Contains(index.Cluster(spilled, null).Root.Select((root, i) => root != i), dropped => dropped);
    }

    [Fact]
    public void Cluster_SpilledDropAgainstAnIndex_MatchesEarlierDropsAndSavesTheSameIndexAsTheBatchDrop()
    {
        var records = Records(32);
        var earlier = records.Where(r => r.Id.EndsWith("-a", StringComparison.Ordinal)).Select(r => (r.Id + "@old", r.Order, r.Text)).ToArray();
        var drop = records.Where(r => !r.Id.EndsWith("-a", StringComparison.Ordinal)).ToList();
        LshIndex Indexed()
        {
            var index = new LshIndex();
            index.Deduplicate([DedupTexts.Batch(earlier)]);
            return index;
        }

        var batchIndex = Indexed();
        var batch = batchIndex.Prepare([DedupTexts.Batch([.. drop])]);
        var spilledIndex = Indexed();
        using var spilled = Spill(spilledIndex, scratch, drop);

        var expected = batchIndex.Cluster(batch, null);
        var actual = spilledIndex.Cluster(spilled, null);

        Assert.Equal(expected.Root, actual.Root);
        Assert.Equal(expected.Partner, actual.Partner);
        Assert.Contains(actual.Root, root => root < 0); // some copies are kept by the earlier drop's records
        Assert.Equal(batchIndex.EstimatedJaccard(batch, 0, expected.Root[0]), spilledIndex.EstimatedJaccard(spilled, 0, actual.Root[0]));
        using MemoryStream a = new(), b = new();
        batchIndex.Save(a, keptOf: batch);
        spilledIndex.Save(b, keptOf: spilled);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void IdsOf_NamedRecords_ReadBackFromTheScratchFile()
    {
        var records = Records(33);
        using var spilled = Spill(new LshIndex(), scratch, records);

        var ids = spilled.IdsOf(new HashSet<int> { 0, 5, records.Count - 1 });

        Assert.Equal(new Dictionary<int, string> { [0] = records[0].Id, [5] = records[5].Id, [records.Count - 1] = "no-words" }, ids);
        Assert.Equal(records.Count, spilled.Count);
    }

    [Fact]
    public void Add_OutOfOrder_ThrowsNamingBothRecords()
    {
        using var builder = new LshIndex().BeginSpilledDrop(scratch);
        builder.Add("b", 5, MinHasher.Default.Compute("one two three four five six"));

        var error = Assert.Throws<ArgumentException>(() => builder.Add("a", 4, MinHasher.Default.Compute("seven eight nine ten eleven")));

        Assert.Contains("'a' (order 4) comes after 'b' (order 5)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BeginSpilledDrop_AScratchFileThatCannotBeCreated_FailsAndLeavesNoFolder()
    {
        var folder = Path.Combine(scratch, "blocked");
        Directory.CreateDirectory(Path.Combine(folder, "band05.bin")); // a folder where a band file must go

        Assert.ThrowsAny<Exception>(() => new LshIndex().BeginSpilledDrop(folder));

        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Dispose_BuilderOrDrop_RemovesTheScratchFiles()
    {
        var records = Records(34);
        var abandoned = Path.Combine(scratch, "abandoned");
        using (var builder = new LshIndex().BeginSpilledDrop(abandoned))
        {
            builder.Add(records[0].Id, 0, MinHasher.Default.Compute(records[0].Text));
            Assert.NotEmpty(Directory.GetFiles(abandoned));
        }

        var completed = Path.Combine(scratch, "completed");
        var drop = Spill(new LshIndex(), completed, records);
        Assert.True(Directory.Exists(completed));
        drop.Dispose();

        Assert.False(Directory.Exists(abandoned));
        Assert.False(Directory.Exists(completed));
    }
}
