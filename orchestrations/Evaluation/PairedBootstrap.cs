namespace GenAiServerless.Evaluation;

/// <summary>One example both models scored: its bits under each and its size in bytes.</summary>
public readonly record struct PairedExample(double ChallengerBits, double ChampionBits, long Bytes);

/// <summary>The paired bootstrap for the relative difference of two models' bits per byte on the same examples
/// (Efron and Tibshirani's percentile interval): resample the examples with replacement, recompute
/// Σ challenger bits / Σ champion bits − 1 on each resample, and take the percentiles. Pairing removes the
/// variation between examples that both models share, which is most of it. Deterministic for a seed.</summary>
public static class PairedBootstrap
{
    public static PairedComparison Compare(IReadOnlyList<PairedExample> examples, double confidence, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
        {
            throw new ArgumentException("no paired examples to compare", nameof(examples));
        }

        if (confidence is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence is between 0 and 1");
        }

        double challenger = 0, champion = 0;
        long bytes = 0;
        foreach (PairedExample e in examples)
        {
            challenger += e.ChallengerBits;
            champion += e.ChampionBits;
            bytes += e.Bytes;
        }

        double point = Relative(challenger, champion);
        var stats = new double[Math.Max(1, resamples)];
        var random = new Random(seed);
        int n = examples.Count;
        for (int r = 0; r < stats.Length; r++)
        {
            double c = 0, h = 0;
            for (int i = 0; i < n; i++)
            {
                PairedExample e = examples[random.Next(n)];
                c += e.ChallengerBits;
                h += e.ChampionBits;
            }

            stats[r] = Relative(c, h);
        }

        Array.Sort(stats);
        double alpha = (1 - confidence) / 2;
        return new PairedComparison(n, challenger / bytes, champion / bytes, point,
            Percentile(stats, alpha), Percentile(stats, 1 - alpha), confidence, stats.Length, seed);
    }

    /// <summary>A seed from the run id (FNV-1a), so the same run resamples the same way on every replay and host.</summary>
    public static int SeedOf(string runId)
    {
        ArgumentNullException.ThrowIfNull(runId);
        uint hash = 2166136261;
        foreach (char c in runId)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash & 0x7FFFFFFF);
    }

    static double Relative(double challenger, double champion) => champion > 0 ? challenger / champion - 1 : challenger > 0 ? double.PositiveInfinity : 0;

    /// <summary>The linear-interpolated percentile of sorted values.</summary>
    static double Percentile(double[] sorted, double p)
    {
        double position = p * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(sorted.Length - 1, low + 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
