namespace GenAiServerless.Data.Dedup;

/// <summary>What <see cref="NearDuplicateFinder"/> decided for a prepared drop, by record number.</summary>
/// <param name="ExactChecks">Candidate pairs whose exact Jaccard similarity was computed.</param>
public sealed record ExactFindings(DropClustering Clustering, IReadOnlyDictionary<int, ulong[]> ShingleSets, long ExactChecks);

/// <summary>What <see cref="NearDuplicateFinder.FindAsync(LshIndex, IReadOnlyList{SignatureBatch}, Func{IReadOnlySet{string}, Task{Dictionary{string, ulong[]}}}, int, bool)"/>
/// decided, with the shingle sets it loaded.</summary>
/// <param name="ExactChecks">Candidate pairs whose exact Jaccard similarity was computed.</param>
/// <param name="Drop">The drop as clustered: <see cref="LshIndex.Save(Stream, PreparedDrop)"/> can save the index with its kept records.</param>
public sealed record NearDuplicateFindings(NearDuplicateOutcome Outcome, IReadOnlyDictionary<string, ulong[]> ShingleSets, long ExactChecks, PreparedDrop Drop);

/// <summary>Near-duplicate removal with exact verification: LSH finds candidate pairs on signatures; a pair within the
/// drop counts when the exact Jaccard similarity of its word 5-gram sets reaches <see cref="LshOptions.ExactThreshold"/>;
/// a pair with a record of an earlier drop (only its signature is kept) counts on the signature estimate.</summary>
/// <remarks>The drop is banded once; two clusterings follow: a loose one (signature agreement ≥ <see cref="LshOptions.PrefilterThreshold"/>)
/// names the records that are in any candidate pair, whose shingle sets are then loaded — typically a small part of the
/// drop — and the real one confirms each pair exactly. The outcome is the same for any sharding or thread count.</remarks>
public static class NearDuplicateFinder
{
    /// <param name="loadShingleSets">Given record ids, their <see cref="ShingleSet"/>s.</param>
    public static async Task<NearDuplicateFindings> FindAsync(
        LshIndex index,
        IReadOnlyList<SignatureBatch> batches,
        Func<IReadOnlySet<string>, Task<Dictionary<string, ulong[]>>> loadShingleSets,
        int maxDegreeOfParallelism,
        bool commit = true)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(loadShingleSets);
        PreparedDrop drop = index.Prepare(batches, maxDegreeOfParallelism);
        string[] ids = ((BatchDrop)drop).Drop.Ids;
        Dictionary<string, ulong[]> byId = [];
        ExactFindings found = await FindAsync(index, drop, async wanted =>
        {
            byId = await loadShingleSets(new HashSet<string>(wanted.Select(r => ids[r]), StringComparer.Ordinal));
            var byRecord = new Dictionary<int, ulong[]>(wanted.Count);
            foreach (int record in wanted)
            {
                if (byId.TryGetValue(ids[record], out ulong[]? set))
                {
                    byRecord[record] = set;
                }
            }

            return byRecord;
        });

        NearDuplicateOutcome outcome = index.Conclude(drop, found.Clustering, commit);
        return new NearDuplicateFindings(outcome, byId, found.ExactChecks, drop);
    }

    /// <summary>The near-duplicate clusters of a prepared drop (a batch or a spilled one), by record number: a loose
    /// clustering on signatures names the records in any candidate pair, <paramref name="loadShingleSets"/> loads their
    /// shingle sets, and the real clustering confirms each pair within the drop on exact Jaccard.</summary>
    public static async Task<ExactFindings> FindAsync(LshIndex index, PreparedDrop drop, Func<IReadOnlySet<int>, Task<Dictionary<int, ulong[]>>> loadShingleSets)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(drop);
        ArgumentNullException.ThrowIfNull(loadShingleSets);
        DropClustering loose = index.Cluster(drop, static (_, _) => true);
        var involved = new HashSet<int>();
        for (int i = 0; i < loose.Root.Length; i++)
        {
            if (loose.Root[i] != i)
            {
                involved.Add(i);
                Add(loose.Root[i]);
                Add(loose.Partner[i]);
            }
        }

        void Add(int node)
        {
            if (node >= 0)
            {
                involved.Add(node);
            }
        }

        Dictionary<int, ulong[]> sets = await loadShingleSets(involved);
        long checks = 0;
        double threshold = index.Options.ExactThreshold;
        DropClustering clustering = index.Cluster(drop, (a, b) =>
        {
            checks++;

            // Every record of a pair that passes the prefilter here was in a loose cluster above, so its set is loaded.
            return sets.TryGetValue(a, out ulong[]? x) && sets.TryGetValue(b, out ulong[]? y) && Jaccard(x, y) >= threshold;
        });
        return new ExactFindings(clustering, sets, checks);
    }

    /// <summary>The distinct 64-bit hashes of a text's word 5-grams, sorted (the shingles its signature is made of).</summary>
    public static ulong[] ShingleSet(string text) => MinHasher.ShingleSet(text);

    /// <summary>|A ∩ B| / |A ∪ B| of two sorted distinct sets.</summary>
    public static double Jaccard(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length == 0 && b.Length == 0)
        {
            return 1;
        }

        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j])
            {
                common++;
                i++;
                j++;
            }
            else if (a[i] < b[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return (double)common / (a.Length + b.Length - common);
    }
}
