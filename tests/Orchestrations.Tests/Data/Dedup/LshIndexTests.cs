using GenAiServerless.Data.Dedup;

namespace GenAiServerless.Tests.Orchestrations.Data.Dedup;

public class LshIndexTests
{
    [Fact]
    public void Deduplicate_FewWordsChangedIn200WordText_DropsCopyAsDuplicateOfOriginal()
    {
        var (original, copy) = DedupTexts.Pair(new Random(10), 200, 2);
        Assert.True(DedupTexts.ExactJaccard(original, copy) >= 0.9);

        var outcome = new LshIndex().Deduplicate([DedupTexts.Batch(("a", 0, original), ("b", 1, copy))]);

        Assert.Equal(["a"], outcome.Kept);
        var dropped = Assert.Single(outcome.Dropped);
        Assert.Equal(("b", "a"), (dropped.Id, dropped.DuplicateOf));
        Assert.InRange(dropped.EstimatedJaccard, 0.8, 1.0);
    }

    [Fact]
    public void Deduplicate_UnrelatedTexts_KeepsAll()
    {
        var random = new Random(11);
        var records = Enumerable.Range(0, 300).Select(i => ($"r{i}", (long)i, DedupTexts.Words(random, random.Next(5, 300)))).ToArray();

        var outcome = new LshIndex().Deduplicate([DedupTexts.Batch(records)]);

        Assert.Empty(outcome.Dropped);
        Assert.Equal(300, outcome.Kept.Count);
        Assert.Equal(0, outcome.VerifiedPairs);
    }

    [Fact]
    public void Deduplicate_PairsNearJaccard09_AllPaired()
    {
        var random = new Random(12);
        for (var p = 0; p < 25; p++)
        {
            var (a, b) = DedupTexts.Pair(random, 404, 4); // 20 of 400 shingles change on each side: J = 380/420 ≈ 0.905
            Assert.InRange(DedupTexts.ExactJaccard(a, b), 0.88, 0.92);

            var outcome = new LshIndex().Deduplicate([DedupTexts.Batch(("a", 0, a), ("b", 1, b))]);

            Assert.Single(outcome.Dropped);
        }
    }

    [Fact]
    public void Deduplicate_PairsNearJaccard05_NonePaired()
    {
        var random = new Random(13);
        for (var p = 0; p < 25; p++)
        {
            var (a, b) = DedupTexts.Pair(random, 404, 26); // 130 of 400 shingles change: J = 270/530 ≈ 0.51
            Assert.InRange(DedupTexts.ExactJaccard(a, b), 0.45, 0.55);

            var outcome = new LshIndex().Deduplicate([DedupTexts.Batch(("a", 0, a), ("b", 1, b))]);

            Assert.Empty(outcome.Dropped);
        }
    }

    [Fact]
    public void Deduplicate_CopiesInDifferentShards_DroppedAcrossShards()
    {
        var random = new Random(14);
        var (a, a2) = DedupTexts.Pair(random, 200, 1);
        var (b, b2) = DedupTexts.Pair(random, 200, 1);
        var shard1 = DedupTexts.Batch(("a", 0, a), ("b2", 11, b2));
        var shard2 = DedupTexts.Batch(("b", 10, b), ("a2", 1, a2));

        var outcome = new LshIndex().Deduplicate([shard1, shard2]);

        Assert.Equal(["a", "b"], outcome.Kept);
        Assert.Equal([("a2", "a"), ("b2", "b")], outcome.Dropped.Select(d => (d.Id, d.DuplicateOf)));
    }

    [Fact]
    public void Deduplicate_ChainOfCopies_KeepsEarliestOfCluster()
    {
        var random = new Random(15);
        var words = DedupTexts.WordList(random, 300);
        var texts = Enumerable.Range(0, 5).Select(k =>
        {
            var copy = (string[])words.Clone();
            copy[(k * 50) + 10] = "edit" + k;
            return string.Join(' ', copy);
        }).ToArray();

        var outcome = new LshIndex().Deduplicate([DedupTexts.Batch(("c3", 3, texts[3]), ("c1", 1, texts[1]), ("c4", 4, texts[4]), ("c2", 2, texts[2]))]);

        Assert.Equal(["c1"], outcome.Kept);
        Assert.All(outcome.Dropped, d => Assert.Equal("c1", d.DuplicateOf));
    }

    [Fact]
    public void Deduplicate_SameRecordsShuffledResharded_SameOutcome()
    {
        var random = new Random(16);
        var records = new List<(string Id, long Order, string Text)>();
        for (var family = 0; family < 60; family++)
        {
            var words = DedupTexts.WordList(random, random.Next(60, 250));
            var copies = random.Next(1, 5);
            for (var c = 0; c < copies; c++)
            {
                var copy = (string[])words.Clone();
                for (var e = 0; e < c; e++)
                {
                    copy[random.Next(copy.Length)] = "x" + random.Next(1000);
                }

                records.Add(($"f{family}c{c}", random.Next(1000), string.Join(' ', copy)));
            }
        }

        var once = new LshIndex().Deduplicate([DedupTexts.Batch([.. records])]);
        var shuffled = records.OrderBy(_ => random.Next()).ToArray();
        var shards = shuffled.Chunk(37).Select(DedupTexts.Batch).ToArray();
        var again = new LshIndex().Deduplicate(shards, maxDegreeOfParallelism: 4);

        Assert.NotEmpty(once.Dropped);
        Assert.Equal(once.Kept, again.Kept);
        Assert.Equal(once.Dropped, again.Dropped);
    }

    [Fact]
    public void Deduplicate_DuplicateIdAcrossShards_ThrowsNamingId()
    {
        var shard1 = DedupTexts.Batch(("same", 0, "one two three four five six"));
        var shard2 = DedupTexts.Batch(("same", 1, "seven eight nine ten eleven"));

        var error = Assert.Throws<ArgumentException>(() => new LshIndex().Deduplicate([shard1, shard2]));

        Assert.Contains("'same'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deduplicate_TextsWithoutWords_KeptAndNotIndexed()
    {
        var index = new LshIndex();

        var outcome = index.Deduplicate([DedupTexts.Batch(("e1", 0, "..."), ("e2", 1, "!!"))]);

        Assert.Equal(["e1", "e2"], outcome.Kept);
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void SaveLoad_RoundTrip_LaterDropFlaggedWithIndexedId()
    {
        var random = new Random(17);
        var (original, copy) = DedupTexts.Pair(random, 200, 2);
        var index = new LshIndex();
        index.Deduplicate([DedupTexts.Batch(("first-drop-7", 7, original), ("other", 8, DedupTexts.Words(random, 150)))]);
        using var blob = new MemoryStream();

        index.Save(blob);
        blob.Position = 0;
        var loaded = LshIndex.Load(blob);
        var outcome = loaded.Deduplicate([DedupTexts.Batch(("second-drop-0", 0, copy), ("new", 1, DedupTexts.Words(random, 150)))]);

        Assert.Equal(2, index.Count);
        Assert.Equal(3, loaded.Count);
        Assert.Equal(index.Options, loaded.Options);
        Assert.Equal(["new"], outcome.Kept);
        var dropped = Assert.Single(outcome.Dropped);
        Assert.Equal(("second-drop-0", "first-drop-7"), (dropped.Id, dropped.DuplicateOf));
    }

    [Fact]
    public void Deduplicate_CommittedWithoutSearchThenNextDrop_FindsTheCommittedRecord()
    {
        var random = new Random(19);
        var (original, copy) = DedupTexts.Pair(random, 200, 2);
        var index = new LshIndex();

        // Band tables are built only when a drop is prepared: a commit followed by another drop must still find it.
        index.Deduplicate([DedupTexts.Batch(("first", 0, original))]);
        var outcome = index.Deduplicate([DedupTexts.Batch(("second", 0, copy))]);

        Assert.Equal(("second", "first"), (Assert.Single(outcome.Dropped).Id, outcome.Dropped[0].DuplicateOf));
    }

    [Fact]
    public void Deduplicate_PreparedDropClusteredTwice_SameAsOnePassAndStaleAfterCommit()
    {
        var random = new Random(20);
        var (original, copy) = DedupTexts.Pair(random, 200, 2);
        var batch = DedupTexts.Batch(("a", 0, original), ("b", 1, copy), ("c", 2, DedupTexts.Words(random, 120)));
        var index = new LshIndex();
        var prepared = index.Prepare([batch]);

        var rejectAll = index.Deduplicate(prepared, commit: false, confirm: (_, _) => false);
        var plain = index.Deduplicate(prepared, commit: true);

        Assert.Empty(rejectAll.Dropped);
        Assert.Equal(new LshIndex().Deduplicate([batch]).Kept, plain.Kept);
        Assert.Throws<InvalidOperationException>(() => index.Deduplicate(prepared));
    }

    [Fact]
    public void Save_WithKeptOfAClusteredDrop_SameBytesAsCommittingThenSaving()
    {
        var random = new Random(21);
        var earlier = DedupTexts.Batch(("old", 0, DedupTexts.Words(random, 150)));
        var (original, copy) = DedupTexts.Pair(random, 200, 2);
        var drop = DedupTexts.Batch(("a", 0, original), ("b", 1, copy), ("c", 2, DedupTexts.Words(random, 120)));
        var committed = new LshIndex();
        committed.Deduplicate([earlier]);
        committed.Deduplicate([drop]);
        var streamed = new LshIndex();
        streamed.Deduplicate([earlier]);
        var prepared = streamed.Prepare([drop]);
        streamed.Deduplicate(prepared, commit: false);
        using MemoryStream a = new(), b = new();

        committed.Save(a);
        streamed.Save(b, keptOf: prepared);

        Assert.Equal(a.ToArray(), b.ToArray());
        b.Position = 0;
        Assert.Equal(3, LshIndex.Load(b).Count);
    }

    [Fact]
    public void Deduplicate_ChainThroughAMiddleRecord_ReportsTheKeeperAndTheDirectMatch()
    {
        // a ~ b and b ~ c (J ≈ 0.8), but a and c are not similar enough (J ≈ 0.63): c is matched with b and kept as a.
        var random = new Random(22);
        var a = DedupTexts.Words(random, 200);
        var aWords = a.Split(' ');
        var b = aWords.Take(180).Concat(DedupTexts.Words(random, 20).Split(' ')).ToArray();
        var c = b.Take(90).Concat(DedupTexts.Words(random, 20).Split(' ')).Concat(b.Skip(110)).ToArray();
        var texts = new[] { a, string.Join(' ', b), string.Join(' ', c) };
        var sets = texts.Select(NearDuplicateFinder.ShingleSet).ToArray();
        var index = new LshIndex(new LshOptions(ExactThreshold: 0.7));
        var batch = DedupTexts.Batch(("a", 0, texts[0]), ("b", 1, texts[1]), ("c", 2, texts[2]));

        var outcome = index.Deduplicate([batch], confirm: (x, y) => NearDuplicateFinder.Jaccard(sets[x[0] - 'a'], sets[y[0] - 'a']) >= 0.7);

        Assert.True(NearDuplicateFinder.Jaccard(sets[0], sets[2]) < 0.7);
        Assert.True(NearDuplicateFinder.Jaccard(sets[1], sets[2]) >= 0.7);
        Assert.Equal(["a"], outcome.Kept);
        var c2 = Assert.Single(outcome.Dropped, d => d.Id == "c");
        Assert.Equal(("a", "b"), (c2.DuplicateOf, c2.MatchedWith));
    }

    [Fact]
    public void AppendSegment_SegmentsSavedDropByDrop_SameIndexAsOneSavedWhole()
    {
        var random = new Random(23);
        var whole = new LshIndex();
        var segments = new List<byte[]>();
        for (var drop = 0; drop < 3; drop++)
        {
            var first = whole.Count;
            whole.Deduplicate([DedupTexts.Batch([.. Enumerable.Range(0, 5).Select(i => ($"d{drop}r{i}", (long)i, DedupTexts.Words(random, 100)))])]);
            using var segment = new MemoryStream();
            whole.Save(segment, firstEntry: first);
            segments.Add(segment.ToArray());
        }

        var loaded = LshIndex.Load(new MemoryStream(segments[0]), capacity: 15);
        loaded.AppendSegment(new MemoryStream(segments[1]));
        loaded.AppendSegment(new MemoryStream(segments[2]));
        using MemoryStream a = new(), b = new();
        whole.Save(a);
        loaded.Save(b);

        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Equal(["d0r0", "d1r0", "d2r4"], [loaded.IdAt(0), loaded.IdAt(5), loaded.IdAt(14)]);
    }

    [Fact]
    public void AppendSegment_OtherBandsOrSeed_FailsNamingBoth()
    {
        var other = new LshIndex(new LshOptions(Bands: 16, Rows: 8));
        other.Deduplicate([DedupTexts.Batch(("a", 0, DedupTexts.Words(new Random(24), 100)))]);
        using var segment = new MemoryStream();
        other.Save(segment);
        segment.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => new LshIndex().AppendSegment(segment));

        Assert.Contains("16 × 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("20 × 6", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AppendSegment_DamagedSegment_ChecksumFailsOverItsOwnRecords()
    {
        var index = new LshIndex();
        index.Deduplicate([DedupTexts.Batch(("a", 0, DedupTexts.Words(new Random(25), 100)))]);
        using MemoryStream first = new(), second = new();
        index.Save(first);
        index.Deduplicate([DedupTexts.Batch(("b", 0, DedupTexts.Words(new Random(26), 100)))]);
        index.Save(second, firstEntry: 1);
        var damaged = second.ToArray();
        damaged[^20] ^= 0xFF;
        first.Position = 0;
        var loaded = LshIndex.Load(first);

        var error = Assert.Throws<InvalidDataException>(() => loaded.AppendSegment(new MemoryStream(damaged)));

        Assert.Contains("checksum mismatch over 1 records", error.Message, StringComparison.Ordinal);
    }

    /// <summary>A saved index's header as <see cref="LshIndex.Save"/> writes it (default options and seed).</summary>
    static void WriteHeader(BinaryWriter writer, int version, int count)
    {
        writer.Write("GenAiServerless.LshIndex");
        writer.Write(version);
        writer.Write(MinHasher.DefaultSeed);
        writer.Write(20);
        writer.Write(6);
        writer.Write(0.75);
        writer.Write(count);
    }

    [Fact]
    public void Load_IndexSavedInFormat1_StillReads()
    {
        // Format 1 (before this build): the same layout, version 1, one XxHash64 over the ids then the signatures.
        var signature = MinHasher.Default.Compute("an indexed record from an earlier version of the pipeline");
        using var blob = new MemoryStream();
        using (var writer = new BinaryWriter(blob, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            WriteHeader(writer, version: 1, count: 1);
            writer.Write("old@run-1");
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(signature.AsSpan()));
            var hash = new System.IO.Hashing.XxHash64();
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes("old@run-1".AsSpan()));
            hash.Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(signature.AsSpan()));
            writer.Write(hash.GetCurrentHashAsUInt64());
        }

        blob.Position = 0;
        var index = LshIndex.Load(blob);

        Assert.Equal(["old@run-1"], [index.IdAt(0)]);
    }

    [Fact]
    public void Load_IndexClaimingMoreRecordsThanOneIndexHolds_FailsNamingTheLimit()
    {
        using var blob = new MemoryStream();
        using (var writer = new BinaryWriter(blob, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            WriteHeader(writer, version: 2, count: LshIndex.MaxEntries + 1);
        }

        blob.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => LshIndex.Load(blob));

        Assert.Contains($"at most {LshIndex.MaxEntries:N0} records fit one index", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deduplicate_WithoutCommit_IndexUnchanged()
    {
        var index = new LshIndex();

        index.Deduplicate([DedupTexts.Batch(("a", 0, DedupTexts.Words(new Random(18), 100)))], commit: false);

        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void Load_TruncatedOrForeignStream_ThrowsInvalidData()
    {
        var index = new LshIndex();
        index.Deduplicate([DedupTexts.Batch(("a", 0, DedupTexts.Words(new Random(19), 100)))]);
        using var blob = new MemoryStream();
        index.Save(blob);
        var bytes = blob.ToArray();

        Assert.Throws<InvalidDataException>(() => LshIndex.Load(new MemoryStream(bytes[..^40])));
        bytes[^20] ^= 0xFF;
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => LshIndex.Load(new MemoryStream(bytes))).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => LshIndex.Load(new MemoryStream([1, 2, 3, 4, 5, 6])));
    }

    [Fact]
    public void LshOptions_TooManyRows_ThrowsNamingFields()
    {
        var error = Assert.Throws<ArgumentException>(() => new LshIndex(new LshOptions(Bands: 20, Rows: 8)));

        Assert.Contains("Bands", error.Message, StringComparison.Ordinal);
    }
}
