using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace GenAiServerless.Data.Dedup;

/// <summary>A record dropped as a near duplicate: the kept (or previously curated) record of its cluster, and the record
/// it was matched with directly.</summary>
/// <param name="DuplicateOf">The cluster's keeper: the record that stays in the data.</param>
/// <param name="EstimatedJaccard">The signature agreement with <paramref name="DuplicateOf"/> (the two may be joined
/// through other records).</param>
/// <param name="MatchedWith">The record this one was verified against (a near-duplicate pair); the keeper when they
/// were compared directly.</param>
public sealed record NearDuplicate(string Id, string DuplicateOf, double EstimatedJaccard, string MatchedWith = "")
{
    public string MatchedWith { get; init; } = MatchedWith.Length > 0 ? MatchedWith : DuplicateOf;
}

/// <summary>What <see cref="LshIndex.Deduplicate"/> decided for a drop, in (order, id) order.</summary>
/// <param name="CandidatePairs">Pairs that shared a band (with the drop or the index) and were compared.</param>
/// <param name="VerifiedPairs">Candidate pairs whose signatures agreed at or above the threshold.</param>
public sealed record NearDuplicateOutcome(IReadOnlyList<string> Kept, IReadOnlyList<NearDuplicate> Dropped, long CandidatePairs, long VerifiedPairs);

/// <summary>Near-duplicate removal by MinHash LSH: bands signatures, verifies candidates on the full signature,
/// clusters with union-find and keeps one record per cluster; remembers what it kept, across drops.</summary>
/// <remarks>
/// <para>Within a cluster the keeper is the earliest member: records already in the index (in the order they were
/// committed) come before any record of the drop, and records of the drop are ordered by (order, id). The clusters
/// are the connected components of the verified pairs, which do not depend on the order pairs are examined in, so the
/// outcome is the same for any sharding, input order or thread count.</para>
/// <para>Memory per indexed record: its 128-value signature (512 B), its id (≈ 20 + 2 × length B plus the reference),
/// and per band a dictionary slot and a chain link (≈ 24 + 4 B, × 20 bands = 560 B): about 1.1 KB with a 20-character
/// id; 10 M curated records ≈ 11 GB in memory. A saved index holds only ids and signatures (≈ 535 B a record); the
/// band tables are built when a drop is first prepared against it.</para>
/// <para>Not thread-safe: one fan-in at a time owns an index.</para>
/// </remarks>
public sealed class LshIndex
{
    const string Magic = "GenAiServerless.LshIndex";
    const int FormatVersion = 2; // 2: the checksum hashes the ids' and the signatures' hashes
    const int Length = MinHasher.SignatureLength;

    readonly Dictionary<ulong, int>[] heads;
    readonly List<string> ids = [];
    uint[] signatures = new uint[1024 * Length];
    int[] next = [];
    int tabled;

    /// <summary>An empty index for signatures made by a <see cref="MinHasher"/> with <paramref name="hasherSeed"/>.</summary>
    public LshIndex(LshOptions? options = null, ulong hasherSeed = MinHasher.DefaultSeed)
    {
        Options = (options ?? LshOptions.Default).Validate();
        HasherSeed = hasherSeed;
        heads = new Dictionary<ulong, int>[Options.Bands];
        for (var b = 0; b < heads.Length; b++)
        {
            heads[b] = [];
        }
    }

    public LshOptions Options { get; }

    /// <summary>The seed of the hasher whose signatures this index holds; signatures of another seed do not compare.</summary>
    public ulong HasherSeed { get; }

    /// <summary>Records indexed (kept by earlier drops).</summary>
    public int Count => ids.Count;

    /// <summary>The id of the <paramref name="entry"/>-th record committed.</summary>
    public string IdAt(int entry) => ids[entry];

    /// <summary>Decides which records of a drop are near duplicates — of one another (across all its shards) or of any
    /// record indexed before — and, when <paramref name="commit"/>, indexes the kept ones for later drops.</summary>
    /// <param name="shards">The fan-out's signature batches; record ids must be unique across them.</param>
    /// <param name="maxDegreeOfParallelism">Threads for band keys and index look-ups; the outcome is the same for any value.</param>
    /// <param name="confirm">When given, a candidate pair of the drop's records is a near duplicate when its signatures
    /// agree at <see cref="LshOptions.PrefilterThreshold"/> or more AND <paramref name="confirm"/> (given the two ids)
    /// says so — say, from their exact Jaccard similarity. Pairs with the index are always verified on the signature.</param>
    public NearDuplicateOutcome Deduplicate(IReadOnlyList<SignatureBatch> shards, bool commit = true, int maxDegreeOfParallelism = 1, Func<string, string, bool>? confirm = null) =>
        Deduplicate(Prepare(shards, maxDegreeOfParallelism), commit, confirm);

    /// <summary>The part of <see cref="Deduplicate(IReadOnlyList{SignatureBatch}, bool, int, Func{string, string, bool})"/>
    /// that does not depend on how pairs are confirmed: the drop's records in order, its band keys sorted, and each
    /// record's verified matches in the index. Cluster it as often as needed with
    /// <see cref="Deduplicate(PreparedDrop, bool, Func{string, string, bool})"/>, as long as the index does not change.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called once per drop: too few calls for tiered compilation to optimise its loops
    public PreparedDrop Prepare(IReadOnlyList<SignatureBatch> shards, int maxDegreeOfParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(shards);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        EnsureBandTables();
        var drop = Gather(shards);
        var n = drop.Ids.Length;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };

        // Band keys, one array per band, each sorted by (key, record): equal keys sit together as candidate groups.
        var bands = Options.Bands;
        var bandKeys = new ulong[bands][];
        var indexable = drop.Indexable;
        var recordBits = Math.Max(1, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, n - 1)));
        Parallel.For(0, bands, parallel, b => bandKeys[b] = SortedBandKeys(drop, b, recordBits));

        // Against the index: every record's verified matches, found in parallel.
        var matches = new List<int>?[n];
        var compared = new long[n];
        if (Count > 0)
        {
            Parallel.For(0, n, parallel, i =>
            {
                if (!indexable[i])
                {
                    return;
                }

                var signature = drop.Signature(i);
                List<int>? found = null;
                HashSet<int>? seen = null;
                for (var b = 0; b < bands; b++)
                {
                    if (!heads[b].TryGetValue(BandKey(signature, b), out var entry))
                    {
                        continue;
                    }

                    for (; entry >= 0; entry = next[(entry * bands) + b])
                    {
                        if (!(seen ??= []).Add(entry))
                        {
                            continue;
                        }

                        compared[i]++;
                        if (Verifies(signature, EntrySignature(entry)))
                        {
                            (found ??= []).Add(entry);
                        }
                    }
                }

                matches[i] = found;
            });
        }

        return new PreparedDrop(this, Count, drop, bandKeys, recordBits, matches, compared.Sum());
    }

    /// <summary>Clusters a prepared drop: see <see cref="Deduplicate(IReadOnlyList{SignatureBatch}, bool, int, Func{string, string, bool})"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public NearDuplicateOutcome Deduplicate(PreparedDrop prepared, bool commit = true, Func<string, string, bool>? confirm = null)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        if (prepared.Index != this || prepared.IndexCount != Count)
        {
            throw new InvalidOperationException("the drop was prepared against another index, or this index changed since: prepare it again");
        }

        var drop = prepared.Drop;
        var n = drop.Ids.Length;
        var bands = Options.Bands;
        var (bandKeys, recordBits, matches, indexable) = (prepared.BandKeys, prepared.RecordBits, prepared.Matches, drop.Indexable);
        var recordMask = (1UL << recordBits) - 1;

        // Nodes 0..n-1 are the drop's records; index entries get nodes n, n+1, … as they turn up.
        var sets = new ClusterSets(n, Count);
        long candidates = prepared.IndexComparisons, verified = 0;

        // Each record's first verified partner: a record of the drop (≥ 0) or an index entry (−entry − 1).
        var partner = new int[n];
        Array.Fill(partner, int.MinValue);
        for (var i = 0; i < n; i++)
        {
            foreach (var entry in matches[i] ?? [])
            {
                verified++;
                sets.Union(i, sets.NodeOfEntry(entry));
                if (partner[i] == int.MinValue)
                {
                    partner[i] = -entry - 1;
                }
            }
        }

        // Within the drop: in each group of equal band keys, compare members not yet in one cluster.
        for (var band = 0; band < bands; band++)
        {
            var keys = bandKeys[band];
            for (var start = 0; start < keys.Length;)
            {
                var end = start + 1;
                while (end < keys.Length && (keys[end] >> recordBits) == (keys[start] >> recordBits))
                {
                    end++;
                }

                for (var j = start + 1; j < end; j++)
                {
                    var a = (int)(keys[j] & recordMask);
                    for (var k = start; k < j; k++)
                    {
                        var b = (int)(keys[k] & recordMask);
                        if (sets.Find(a) == sets.Find(b))
                        {
                            continue;
                        }

                        candidates++;
                        if (confirm is null
                            ? Verifies(drop.Signature(a), drop.Signature(b))
                            : MinHasher.Agreements(drop.Signature(a), drop.Signature(b)) >= Options.PrefilterThreshold * Length && confirm(drop.Ids[a], drop.Ids[b]))
                        {
                            verified++;
                            sets.Union(a, b);
                            if (partner[a] == int.MinValue)
                            {
                                partner[a] = b;
                            }

                            if (partner[b] == int.MinValue)
                            {
                                partner[b] = a;
                            }
                        }
                    }
                }

                start = end;
            }
        }

        var kept = new List<string>();
        var dropped = new List<NearDuplicate>();
        var keptRecords = new List<int>();
        for (var i = 0; i < n; i++)
        {
            var root = sets.Find(i);
            if (root == i)
            {
                kept.Add(drop.Ids[i]);
                if (indexable[i])
                {
                    keptRecords.Add(i);
                }

                continue;
            }

            var of = root < n ? drop.Ids[root] : ids[sets.EntryOfNode(root)];
            var signature = root < n ? drop.Signature(root) : EntrySignature(sets.EntryOfNode(root));
            var matched = partner[i] >= 0 ? drop.Ids[partner[i]] : partner[i] == int.MinValue ? of : ids[-partner[i] - 1];
            dropped.Add(new NearDuplicate(drop.Ids[i], of, MinHasher.EstimateJaccard(drop.Signature(i), signature), matched));
        }

        prepared.KeptRecords = keptRecords;
        if (commit)
        {
            Reserve(Count + keptRecords.Count);
            foreach (var i in keptRecords)
            {
                Append(drop.Ids[i], drop.Signature(i));
            }
        }

        return new NearDuplicateOutcome(kept, dropped, candidates, verified);
    }

    /// <summary>Writes the index (options, hasher seed, ids and signatures) to <paramref name="stream"/>; with
    /// <paramref name="keptOf"/>, as if the kept records of that drop's last clustering had been committed — what the
    /// fan-in saves, without copying the drop's signatures into the index first.</summary>
    public void Save(Stream stream, PreparedDrop? keptOf = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (keptOf is not null && (keptOf.Index != this || keptOf.IndexCount != Count || keptOf.KeptRecords is null))
        {
            throw new InvalidOperationException("the drop was not clustered against this index as it is now");
        }

        List<int> kept = keptOf?.KeptRecords ?? [];
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(HasherSeed);
        writer.Write(Options.Bands);
        writer.Write(Options.Rows);
        writer.Write(Options.VerifyThreshold);
        writer.Write(Count + kept.Count);
        var idHash = new XxHash64();
        var signatureHash = new XxHash64();
        for (var e = 0; e < Count; e++)
        {
            writer.Write(ids[e]);
            writer.Write(MemoryMarshal.AsBytes(EntrySignature(e)));
            idHash.Append(MemoryMarshal.AsBytes(ids[e].AsSpan()));
            signatureHash.Append(MemoryMarshal.AsBytes(EntrySignature(e)));
        }

        foreach (var i in kept)
        {
            var drop = keptOf!.Drop;
            writer.Write(drop.Ids[i]);
            writer.Write(MemoryMarshal.AsBytes(drop.Signature(i)));
            idHash.Append(MemoryMarshal.AsBytes(drop.Ids[i].AsSpan()));
            signatureHash.Append(MemoryMarshal.AsBytes(drop.Signature(i)));
        }

        writer.Write(Checksum(idHash, signatureHash));
    }

    /// <summary>Reads an index written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static LshIndex Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = reader.ReadString();
            if (magic != Magic)
            {
                throw new InvalidDataException($"not an LSH index: the header is '{magic}', expected '{Magic}'");
            }

            var version = reader.ReadInt32();
            if (version is not (1 or FormatVersion))
            {
                throw new InvalidDataException($"LSH index format version {version} is not supported (this build reads 1 and {FormatVersion})");
            }

            var seed = reader.ReadUInt64();
            var options = new LshOptions(reader.ReadInt32(), reader.ReadInt32(), reader.ReadDouble());
            var index = new LshIndex(options, seed);
            var count = reader.ReadInt32();
            if (count < 0)
            {
                throw new InvalidDataException($"LSH index: negative record count {count}");
            }

            var signature = new uint[Length];
            index.Reserve(count);
            for (var e = 0; e < count; e++)
            {
                var id = reader.ReadString();
                // A network stream may return fewer bytes than asked for: read until the signature is whole.
                reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(signature.AsSpan()));

                index.Append(id, signature);
            }

            var checksum = reader.ReadUInt64();
            if (checksum != (version == 1 ? index.ChecksumVersion1() : index.Checksum()))
            {
                throw new InvalidDataException($"LSH index: checksum mismatch over {count} records (the blob is corrupt)");
            }

            return index;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("LSH index: the stream ends before the index does (truncated blob)", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"LSH index: bad header ({e.Message})", e);
        }
    }

    /// <summary>One band's keys of the drop's indexable records, each packed with its record (the key's top
    /// 64 − <paramref name="recordBits"/> bits, then the record number) and sorted: equal keys sit together, members in
    /// record order.</summary>
    /// <remarks>Sorting one primitive array is several times faster than sorting keys with items. Two different band keys
    /// that agree in their top bits only make an extra candidate pair, which verification then rejects.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    ulong[] SortedBandKeys(Drop drop, int band, int recordBits)
    {
        var n = drop.Ids.Length;
        var keys = new ulong[drop.Indexable.AsSpan().Count(true)];
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (drop.Indexable[i])
            {
                keys[count++] = (BandKey(drop.Signature(i), band) >> recordBits << recordBits) | (uint)i;
            }
        }

        Array.Sort(keys);
        return keys;
    }

    bool Verifies(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b) =>
        MinHasher.Agreements(a, b) >= Options.VerifyThreshold * Length;

    ulong BandKey(ReadOnlySpan<uint> signature, int band) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(signature.Slice(band * Options.Rows, Options.Rows)), band);

    ReadOnlySpan<uint> EntrySignature(int entry) => signatures.AsSpan(entry * Length, Length);

    /// <summary>Adds an entry; its band keys go into the tables only when a drop is next prepared (an index that is
    /// loaded, extended and saved without being searched never builds them).</summary>
    void Append(string id, ReadOnlySpan<uint> signature)
    {
        var entry = ids.Count;
        if ((entry + 1) * Length > signatures.Length)
        {
            Array.Resize(ref signatures, Math.Max(signatures.Length * 2, (entry + 1) * Length));
        }

        ids.Add(id);
        signature.CopyTo(signatures.AsSpan(entry * Length, Length));
    }

    /// <summary>Room for <paramref name="entries"/> signatures, grown once rather than by doubling.</summary>
    void Reserve(int entries)
    {
        if (entries * Length > signatures.Length)
        {
            Array.Resize(ref signatures, entries * Length);
        }
    }

    /// <summary>Puts the band keys of every entry not yet tabled into the band tables.</summary>
    void EnsureBandTables()
    {
        var bands = Options.Bands;
        if (Count * bands > next.Length)
        {
            Array.Resize(ref next, Math.Max(next.Length * 2, Count * bands));
        }

        for (; tabled < Count; tabled++)
        {
            var signature = EntrySignature(tabled);
            for (var b = 0; b < bands; b++)
            {
                // The newest entry heads its chain; the chain is walked whole, so its order does not matter.
                ref var head = ref CollectionsMarshal.GetValueRefOrAddDefault(heads[b], BandKey(signature, b), out var exists);
                next[(tabled * bands) + b] = exists ? head : -1;
                head = tabled;
            }
        }
    }

    ulong Checksum()
    {
        var idHash = new XxHash64();
        foreach (var id in ids)
        {
            idHash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
        }

        var signatureHash = new XxHash64();
        signatureHash.Append(MemoryMarshal.AsBytes(signatures.AsSpan(0, Count * Length)));
        return Checksum(idHash, signatureHash);
    }

    /// <summary>The checksum of format 1 (indexes saved before format 2): one hash over the ids, then the signatures.</summary>
    ulong ChecksumVersion1()
    {
        var hash = new XxHash64();
        foreach (var id in ids)
        {
            hash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
        }

        hash.Append(MemoryMarshal.AsBytes(signatures.AsSpan(0, Count * Length)));
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The saved checksum: of the ids' hash and the signatures' hash (each computed in entry order).</summary>
    static ulong Checksum(XxHash64 ids, XxHash64 signatures)
    {
        Span<ulong> both = [ids.GetCurrentHashAsUInt64(), signatures.GetCurrentHashAsUInt64()];
        return XxHash64.HashToUInt64(MemoryMarshal.AsBytes(both));
    }

    /// <summary>All shards' records in (order, id) order, so node numbers do not depend on sharding or input order. The
    /// signatures stay in their batches (no copy): a record is a (batch, position) pair.</summary>
    static Drop Gather(IReadOnlyList<SignatureBatch> shards)
    {
        var refs = new List<(long Order, string Id, int Shard, int Index)>();
        for (var s = 0; s < shards.Count; s++)
        {
            var shard = shards[s];
            ArgumentNullException.ThrowIfNull(shard, nameof(shards));
            for (var i = 0; i < shard.Count; i++)
            {
                refs.Add((shard.OrderAt(i), shard.IdAt(i), s, i));
            }
        }

        refs.Sort(static (x, y) => x.Order != y.Order ? x.Order.CompareTo(y.Order) : string.CompareOrdinal(x.Id, y.Id));
        var n = refs.Count;
        var drop = new Drop(new string[n], [.. shards], new int[n], new int[n], new bool[n]);
        for (var i = 0; i < n; i++)
        {
            var (_, id, shard, index) = refs[i];
            drop.Ids[i] = id;
            drop.Batch[i] = shard;
            drop.Position[i] = index;

            // A text without words has an all-MaxValue signature: identical to every other such text, so never indexed.
            drop.Indexable[i] = drop.Signature(i).ContainsAnyExcept(uint.MaxValue);
        }

        var unique = new HashSet<string>(drop.Ids, StringComparer.Ordinal);
        if (unique.Count != n)
        {
            var twice = drop.Ids.GroupBy(x => x, StringComparer.Ordinal).First(g => g.Count() > 1).Key;
            throw new ArgumentException($"record id '{twice}' appears twice in the drop: ids must be unique across shards", nameof(shards));
        }

        return drop;
    }

    internal sealed record Drop(string[] Ids, SignatureBatch[] Batches, int[] Batch, int[] Position, bool[] Indexable)
    {
        public ReadOnlySpan<uint> Signature(int record) => Batches[Batch[record]].SignatureAt(Position[record]);
    }

    /// <summary>Union-find whose root is always the cluster's earliest member (index entries first, then the drop's records).</summary>
    sealed class ClusterSets(int records, int indexed)
    {
        readonly List<int> parent = [.. Enumerable.Range(0, records)];
        readonly List<int> entries = [];
        readonly Dictionary<int, int> nodes = [];

        public int NodeOfEntry(int entry)
        {
            if (!nodes.TryGetValue(entry, out var node))
            {
                node = parent.Count;
                parent.Add(node);
                entries.Add(entry);
                nodes[entry] = node;
            }

            return node;
        }

        public int EntryOfNode(int node) => entries[node - records];

        public int Find(int node)
        {
            var root = node;
            while (parent[root] != root)
            {
                root = parent[root];
            }

            while (parent[node] != root)
            {
                (parent[node], node) = (root, parent[node]);
            }

            return root;
        }

        public void Union(int a, int b)
        {
            var (ra, rb) = (Find(a), Find(b));
            if (ra == rb)
            {
                return;
            }

            if (Rank(ra) < Rank(rb))
            {
                parent[rb] = ra;
            }
            else
            {
                parent[ra] = rb;
            }
        }

        long Rank(int node) => node < records ? (long)indexed + node : entries[node - records];
    }
}

/// <summary>A drop made ready for <see cref="LshIndex.Deduplicate(PreparedDrop, bool, Func{string, string, bool})"/>:
/// its records in (order, id) order, sorted band keys and matches in the index.</summary>
public sealed class PreparedDrop
{
    internal PreparedDrop(LshIndex index, int indexCount, LshIndex.Drop drop, ulong[][] bandKeys, int recordBits, List<int>?[] matches, long indexComparisons)
    {
        (Index, IndexCount, Drop, BandKeys, RecordBits, Matches, IndexComparisons) = (index, indexCount, drop, bandKeys, recordBits, matches, indexComparisons);
    }

    /// <summary>Records in the drop.</summary>
    public int Count => Drop.Ids.Length;

    /// <summary>Records the last clustering would add to the index.</summary>
    public int KeptCount => KeptRecords?.Count ?? 0;

    internal LshIndex Index { get; }

    internal int IndexCount { get; }

    internal LshIndex.Drop Drop { get; }

    internal ulong[][] BandKeys { get; }

    /// <summary>The low bits of a packed band key that hold the record.</summary>
    internal int RecordBits { get; }

    internal List<int>?[] Matches { get; }

    internal long IndexComparisons { get; }

    /// <summary>The records the last clustering kept that go into the index (indexable cluster roots), in record order.</summary>
    internal List<int>? KeptRecords { get; set; }
}
