using System.Runtime.CompilerServices;

namespace GenAiServerless.Data.Dedup;

/// <summary>How an <see cref="LshIndex"/> clusters a drop: candidate pairs from sorted band keys, verification, union-find
/// with the earliest member as keeper, and committing the kept records.</summary>
public sealed partial class LshIndex
{
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
