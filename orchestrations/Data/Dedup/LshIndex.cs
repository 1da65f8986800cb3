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
        var bandKeys = new ulong[Options.Bands][];
        var recordBits = RecordBits(n);
        Parallel.For(0, Options.Bands, parallel, b => bandKeys[b] = SortedBandKeys(drop, b, recordBits));

        // Against the index: every record's verified matches, found in parallel.
        var matches = new List<int>?[n];
        var compared = new long[n];
        if (Count > 0)
        {
            Parallel.For(0, n, parallel, i => matches[i] = drop.Indexable[i] ? MatchesInIndex(drop.Signature(i), out compared[i]) : null);
        }

        return new BatchDrop(this, drop, bandKeys, recordBits, matches, compared.Sum());
    }

    /// <summary>Starts a drop whose band keys and signatures are written to scratch files in <paramref name="folder"/>
    /// as records are added, instead of being held in memory: what a fan-in over a large drop uses (see
    /// <see cref="SpilledDropBuilder"/>).</summary>
    public SpilledDropBuilder BeginSpilledDrop(string folder)
    {
        EnsureBandTables();
        return new SpilledDropBuilder(this, folder);
    }

    /// <summary>Clusters a prepared drop: see <see cref="Deduplicate(IReadOnlyList{SignatureBatch}, bool, int, Func{string, string, bool})"/>.</summary>
    public NearDuplicateOutcome Deduplicate(PreparedDrop prepared, bool commit = true, Func<string, string, bool>? confirm = null)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        if (prepared is not BatchDrop batch)
        {
            throw new ArgumentException("a spilled drop is clustered by record number (Cluster); it cannot be committed", nameof(prepared));
        }

        var ids = batch.Drop.Ids;
        return Conclude(batch, Cluster(prepared, confirm is null ? null : (a, b) => confirm(ids[a], ids[b])), commit);
    }

    /// <summary>A batch drop's outcome by record id from its last clustering, indexing the kept records when
    /// <paramref name="commit"/>.</summary>
    internal NearDuplicateOutcome Conclude(PreparedDrop prepared, DropClustering clustering, bool commit)
    {
        var batch = prepared as BatchDrop ?? throw new ArgumentException("only a batch drop has its ids at hand", nameof(prepared));
        var outcome = Describe(batch, clustering);
        if (commit)
        {
            Commit(batch);
        }

        return outcome;
    }

    /// <summary>The clusters of a prepared drop, by record number: see <see cref="DropClustering"/>.</summary>
    /// <param name="confirm">As in <see cref="Deduplicate(IReadOnlyList{SignatureBatch}, bool, int, Func{string, string, bool})"/>,
    /// given the two record numbers.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DropClustering Cluster(PreparedDrop prepared, Func<int, int, bool>? confirm)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        if (prepared.Index != this || prepared.IndexCount != Count)
        {
            throw new InvalidOperationException("the drop was prepared against another index, or this index changed since: prepare it again");
        }

        var n = prepared.Count;
        var recordMask = (1UL << prepared.RecordBits) - 1;
        var recordBits = prepared.RecordBits;

        // Nodes 0..n-1 are the drop's records; index entries get nodes n, n+1, … as they turn up.
        var sets = new ClusterSets(n, Count);
        long candidates = prepared.IndexComparisons, verified = 0;

        // Each record's first verified partner: a record of the drop (≥ 0) or an index entry (−entry − 1).
        var partner = new int[n];
        Array.Fill(partner, DropClustering.None);
        for (var i = 0; i < n; i++)
        {
            foreach (var entry in prepared.MatchesOf(i) ?? [])
            {
                verified++;
                sets.Union(i, sets.NodeOfEntry(entry));
                if (partner[i] == DropClustering.None)
                {
                    partner[i] = -entry - 1;
                }
            }
        }

        // Within the drop: in each group of equal band keys, compare members not yet in one cluster.
        var first = new uint[Length];
        var second = new uint[Length];
        for (var band = 0; band < Options.Bands; band++)
        {
            var keys = prepared.SortedBandKeys(band);
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
                        prepared.CopySignature(a, first);
                        prepared.CopySignature(b, second);
                        if (confirm is null
                            ? Verifies(first, second)
                            : MinHasher.Agreements(first, second) >= Options.PrefilterThreshold * Length && confirm(a, b))
                        {
                            verified++;
                            sets.Union(a, b);
                            if (partner[a] == DropClustering.None)
                            {
                                partner[a] = b;
                            }

                            if (partner[b] == DropClustering.None)
                            {
                                partner[b] = a;
                            }
                        }
                    }
                }

                start = end;
            }
        }

        var root = new int[n];
        var keptRecords = new List<int>();
        for (var i = 0; i < n; i++)
        {
            var node = sets.Find(i);
            root[i] = node < n ? node : -sets.EntryOfNode(node) - 1;
            if (node == i && prepared.IsIndexable(i))
            {
                keptRecords.Add(i);
            }
        }

        prepared.KeptRecords = keptRecords;
        return new DropClustering(root, partner, candidates, verified);
    }

    /// <summary>The signature agreement of a dropped record with its keeper (a record of the drop, or an index entry
    /// encoded as in <see cref="DropClustering.Root"/>).</summary>
    public double EstimatedJaccard(PreparedDrop prepared, int record, int keeper)
    {
        var signature = new uint[Length];
        prepared.CopySignature(record, signature);
        if (keeper < 0)
        {
            return MinHasher.EstimateJaccard(signature, EntrySignature(-keeper - 1));
        }

        var other = new uint[Length];
        prepared.CopySignature(keeper, other);
        return MinHasher.EstimateJaccard(signature, other);
    }

    /// <summary>The outcome of a batch drop's clustering, by record id.</summary>
    NearDuplicateOutcome Describe(BatchDrop batch, DropClustering clustering)
    {
        var ids = batch.Drop.Ids;
        var kept = new List<string>();
        var dropped = new List<NearDuplicate>();
        for (var i = 0; i < ids.Length; i++)
        {
            var root = clustering.Root[i];
            if (root == i)
            {
                kept.Add(ids[i]);
                continue;
            }

            var partner = clustering.Partner[i];
            var of = root >= 0 ? ids[root] : IdAt(-root - 1);
            var matched = partner >= 0 ? ids[partner] : partner == DropClustering.None ? of : IdAt(-partner - 1);
            dropped.Add(new NearDuplicate(ids[i], of, EstimatedJaccard(batch, i, root), matched));
        }

        return new NearDuplicateOutcome(kept, dropped, clustering.CandidatePairs, clustering.VerifiedPairs);
    }

    /// <summary>Indexes the kept records of a batch drop's last clustering.</summary>
    void Commit(BatchDrop batch)
    {
        var kept = batch.KeptRecords ?? throw new InvalidOperationException("the drop has not been clustered");
        Reserve((long)Count + kept.Count);
        foreach (var i in kept)
        {
            Append(batch.Drop.Ids[i], batch.Drop.Signature(i));
        }
    }

    /// <summary>The index entries whose signatures verify against <paramref name="signature"/>, having shared a band.</summary>
    internal List<int>? MatchesInIndex(ReadOnlySpan<uint> signature, out long compared)
    {
        compared = 0;
        List<int>? found = null;
        HashSet<int>? seen = null;
        for (var b = 0; b < Options.Bands; b++)
        {
            if (!heads[b].TryGetValue(BandKey(signature, b), out var entry))
            {
                continue;
            }

            for (; entry >= 0; entry = next[(entry * Options.Bands) + b])
            {
                if (!(seen ??= []).Add(entry))
                {
                    continue;
                }

                compared++;
                if (Verifies(signature, EntrySignature(entry)))
                {
                    (found ??= []).Add(entry);
                }
            }
        }

        return found;
    }

    /// <summary>The low bits of a packed band key that hold the record number, for a drop of <paramref name="records"/>.</summary>
    internal static int RecordBits(int records) => Math.Max(1, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, records - 1)));

    /// <summary>Writes the index (options, hasher seed, ids and signatures) to <paramref name="stream"/>; with
    /// <paramref name="keptOf"/>, as if the kept records of that drop's last clustering had been committed — what the
    /// fan-in saves, without copying the drop's signatures into the index first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per drop, a loop over every record
    public void Save(Stream stream, PreparedDrop? keptOf = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (keptOf is not null && (keptOf.Index != this || keptOf.IndexCount != Count || keptOf.KeptRecords is null))
        {
            throw new InvalidOperationException("the drop was not clustered against this index as it is now");
        }

        var total = (long)Count + (keptOf?.KeptCount ?? 0);
        CheckLimit(total); // before a byte is written: no partial index is left behind
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(HasherSeed);
        writer.Write(Options.Bands);
        writer.Write(Options.Rows);
        writer.Write(Options.VerifyThreshold);
        writer.Write((int)total);
        var idHash = new XxHash64();
        var signatureHash = new XxHash64();
        void Write(string id, ReadOnlySpan<uint> signature)
        {
            writer.Write(id);
            writer.Write(MemoryMarshal.AsBytes(signature));
            idHash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
            signatureHash.Append(MemoryMarshal.AsBytes(signature));
        }

        for (var e = 0; e < Count; e++)
        {
            Write(ids[e], EntrySignature(e));
        }

        keptOf?.ReadKept(Write);
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
            if (count < 0 || count > MaxEntries)
            {
                throw new InvalidDataException($"LSH index: record count {count} is out of range (0 to {MaxEntries:N0}: at most {MaxEntries:N0} records fit one index)");
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

        UniformSort.Sort(keys, new ulong[keys.Length]);
        return keys;
    }

    bool Verifies(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b) =>
        MinHasher.Agreements(a, b) >= Options.VerifyThreshold * Length;

    internal ulong BandKey(ReadOnlySpan<uint> signature, int band) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(signature.Slice(band * Options.Rows, Options.Rows)), band);

    ReadOnlySpan<uint> EntrySignature(int entry) => signatures.AsSpan(entry * Length, Length);

    /// <summary>Adds an entry; its band keys go into the tables only when a drop is next prepared (an index that is
    /// loaded, extended and saved without being searched never builds them).</summary>
    void Append(string id, ReadOnlySpan<uint> signature)
    {
        var entry = ids.Count;
        if ((long)(entry + 1) * Length > signatures.Length)
        {
            CheckLimit(entry + 1);
            Array.Resize(ref signatures, (int)Math.Min((long)MaxEntries * Length, Math.Max((long)signatures.Length * 2, (long)(entry + 1) * Length)));
        }

        ids.Add(id);
        signature.CopyTo(signatures.AsSpan(entry * Length, Length));
    }

    /// <summary>Room for <paramref name="entries"/> signatures, grown once rather than by doubling.</summary>
    void Reserve(long entries)
    {
        CheckLimit(entries);
        if (entries * Length > signatures.Length)
        {
            Array.Resize(ref signatures, (int)(entries * Length));
        }
    }

    /// <summary>The most records one index holds: its signatures are one array of at most 2^31 − 1 values.</summary>
    public const int MaxEntries = int.MaxValue / Length;

    static void CheckLimit(long entries)
    {
        if (entries > MaxEntries)
        {
            throw new InvalidOperationException(
                $"the near-duplicate index would hold {entries:N0} records; one index holds at most {MaxEntries:N0} (its signatures are one array): " +
                "start the model on a new index (move its _index/latest.txt away) or split the model's data across models");
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

/// <summary>Receives a kept record's id and signature (see <see cref="PreparedDrop.ReadKept"/>).</summary>
internal delegate void KeptRecordSink(string id, ReadOnlySpan<uint> signature);

/// <summary>A drop made ready for clustering against an index: its records in (order, id) order, band keys sorted per
/// band, and each record's verified matches in the index.</summary>
/// <remarks>Two kinds: a batch drop (<see cref="LshIndex.Prepare"/>) holds everything in memory; a spilled drop
/// (<see cref="LshIndex.BeginSpilledDrop"/>) keeps its band keys and signatures in scratch files.</remarks>
public abstract class PreparedDrop
{
    private protected PreparedDrop(LshIndex index, int indexCount)
    {
        (Index, IndexCount) = (index, indexCount);
    }

    /// <summary>Records in the drop.</summary>
    public abstract int Count { get; }

    /// <summary>Records the last clustering would add to the index.</summary>
    public int KeptCount => KeptRecords?.Count ?? 0;

    internal LshIndex Index { get; }

    internal int IndexCount { get; }

    /// <summary>The low bits of a packed band key that hold the record.</summary>
    internal abstract int RecordBits { get; }

    internal abstract long IndexComparisons { get; }

    /// <summary>The records the last clustering kept that go into the index (indexable cluster roots), in record order.</summary>
    internal List<int>? KeptRecords { get; set; }

    /// <summary>One band's keys of the indexable records, packed with the record number and sorted; valid until the next call.</summary>
    internal abstract ReadOnlySpan<ulong> SortedBandKeys(int band);

    internal abstract void CopySignature(int record, Span<uint> signature);

    internal abstract bool IsIndexable(int record);

    /// <summary>The record's verified matches in the index (entry numbers), if any.</summary>
    internal abstract IReadOnlyList<int>? MatchesOf(int record);

    /// <summary>Each of <see cref="KeptRecords"/>' id and signature, in record order.</summary>
    internal abstract void ReadKept(KeptRecordSink sink);
}

/// <summary>A drop held in memory: its signature batches and sorted band keys.</summary>
sealed class BatchDrop(LshIndex index, LshIndex.Drop drop, ulong[][] bandKeys, int recordBits, List<int>?[] matches, long indexComparisons)
    : PreparedDrop(index, index.Count)
{
    public LshIndex.Drop Drop { get; } = drop;

    public override int Count => Drop.Ids.Length;

    internal override int RecordBits => recordBits;

    internal override long IndexComparisons => indexComparisons;

    internal override ReadOnlySpan<ulong> SortedBandKeys(int band) => bandKeys[band];

    internal override void CopySignature(int record, Span<uint> signature) => Drop.Signature(record).CopyTo(signature);

    internal override bool IsIndexable(int record) => Drop.Indexable[record];

    internal override IReadOnlyList<int>? MatchesOf(int record) => matches[record];

    internal override void ReadKept(KeptRecordSink sink)
    {
        foreach (var i in KeptRecords ?? [])
        {
            sink(Drop.Ids[i], Drop.Signature(i));
        }
    }
}

/// <summary>A clustering of a drop, by record number.</summary>
/// <param name="Root">Each record's cluster keeper: itself when kept, another record of the drop (≥ 0), or an index
/// entry e as −e − 1.</param>
/// <param name="Partner">Each record's first verified partner, encoded as <paramref name="Root"/>; <see cref="None"/> when it has none.</param>
public sealed record DropClustering(int[] Root, int[] Partner, long CandidatePairs, long VerifiedPairs)
{
    public const int None = int.MinValue;
}
