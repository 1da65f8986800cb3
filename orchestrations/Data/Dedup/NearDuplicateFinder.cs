namespace GenAiServerless.Data.Dedup;

/// <summary>What <see cref="NearDuplicateFinder.FindAsync"/> decided, with the shingle sets it loaded.</summary>
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
        NearDuplicateOutcome loose = index.Deduplicate(drop, commit: false, confirm: static (_, _) => true);
        var involved = new HashSet<string>(StringComparer.Ordinal);
        foreach (NearDuplicate d in loose.Dropped)
        {
            involved.Add(d.Id);
            involved.Add(d.DuplicateOf);
            involved.Add(d.MatchedWith);
        }

        Dictionary<string, ulong[]> sets = await loadShingleSets(involved);
        long checks = 0;
        double threshold = index.Options.ExactThreshold;
        NearDuplicateOutcome outcome = index.Deduplicate(drop, commit, confirm: (a, b) =>
        {
            checks++;

            // Every record of a pair that passes the prefilter here was in a loose cluster above, so its set is loaded.
            return sets.TryGetValue(a, out ulong[]? x) && sets.TryGetValue(b, out ulong[]? y) && Jaccard(x, y) >= threshold;
        });
        return new NearDuplicateFindings(outcome, sets, checks, drop);
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
