namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>Deterministic weighted round robin (the "smooth" variant nginx uses): over any run of sum(weights)
/// requests each deployment gets exactly its weight, interleaved — a 90/10 split sends 10 of every 100 to the 10.</summary>
sealed class TrafficSplit
{
    readonly KeyValuePair<string, int>[] weights;
    readonly Dictionary<string, int> current;
    readonly Lock gate = new();

    public TrafficSplit(IReadOnlyDictionary<string, int> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        this.weights = [.. weights.Where(w => w.Value > 0).OrderBy(w => w.Key, StringComparer.Ordinal)];
        current = this.weights.ToDictionary(w => w.Key, _ => 0, StringComparer.Ordinal);
    }

    /// <summary>The next deployment, or null when no deployment has a positive weight.</summary>
    public string? Next()
    {
        lock (gate)
        {
            string? best = null;
            int total = 0;
            foreach ((string name, int weight) in weights)
            {
                current[name] += weight;
                total += weight;
                if (best is null || current[name] > current[best])
                {
                    best = name;
                }
            }

            if (best is not null)
            {
                current[best] -= total;
            }

            return best;
        }
    }
}

/// <summary>Picks exactly <c>percent</c> of every 100 requests, spread evenly (for mirror traffic).</summary>
sealed class PercentSampler(int percent)
{
    long seen;

    public bool Next()
    {
        long n = Interlocked.Increment(ref seen) - 1;
        return (n + 1) * percent / 100 > n * percent / 100;
    }
}
