using System.Globalization;
using System.Text;
using GenAiServerless.Rollout;

namespace GenAiServerless.Local.Endpoints;

/// <summary>One deployment's request metrics: totals since it was added (for <c>/metrics</c>) and per-second slots of the
/// last <see cref="RetainedSeconds"/> seconds (for the rollout's analysis, which judges a step's window, not the
/// deployment's whole life). Latency goes into a log-scale histogram of four buckets per octave (19 % wide), fine enough
/// for a p95 compared with a 1.5× threshold.</summary>
public sealed class DeploymentMeter(string endpoint, string deployment)
{
    /// <summary>How far back the analysis can read; a longer window reads the last this many seconds.</summary>
    public const int RetainedSeconds = 900;

    /// <summary>Upper bound of bucket k is <c>MinMs × 2^(k/4)</c>; the last bucket takes everything above.</summary>
    const double MinMs = 0.05;
    const int Buckets = 88;

    readonly Lock gate = new();
    readonly Slot[] slots = new Slot[RetainedSeconds];
    readonly long[] totalBuckets = new long[Buckets];
    long requests;
    long errors;
    long tokens;
    double latencySumSeconds;

    public string Endpoint { get; } = endpoint;

    public string Deployment { get; } = deployment;

    /// <summary>Counts one request that ended at <paramref name="at"/>.</summary>
    public void Record(DateTimeOffset at, TimeSpan latency, bool failed, int generatedTokens)
    {
        int bucket = BucketOf(latency.TotalMilliseconds);
        long second = at.ToUnixTimeSeconds();
        lock (gate)
        {
            requests++;
            errors += failed ? 1 : 0;
            tokens += generatedTokens;
            latencySumSeconds += latency.TotalSeconds;
            totalBuckets[bucket]++;
            ref Slot slot = ref slots[second % RetainedSeconds];
            if (slot.Second != second || slot.Latency is null)
            {
                slot.Second = second;
                slot.Requests = 0;
                slot.Errors = 0;
                if (slot.Latency is null)
                {
                    slot.Latency = new long[Buckets];
                }
                else
                {
                    Array.Clear(slot.Latency);
                }
            }

            slot.Requests++;
            slot.Errors += failed ? 1 : 0;
            slot.Latency[bucket]++;
        }
    }

    /// <summary>Requests, errors and p95 latency of the requests that ended in [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public DeploymentMetrics Read(DateTimeOffset from, DateTimeOffset to)
    {
        long first = Math.Max(from.ToUnixTimeSeconds(), to.ToUnixTimeSeconds() - RetainedSeconds + 1), last = to.ToUnixTimeSeconds();
        long n = 0, failed = 0;
        var latency = new long[Buckets];
        lock (gate)
        {
            foreach (Slot slot in slots)
            {
                if (slot.Latency is not null && slot.Second >= first && slot.Second <= last)
                {
                    n += slot.Requests;
                    failed += slot.Errors;
                    for (int i = 0; i < Buckets; i++)
                    {
                        latency[i] += slot.Latency[i];
                    }
                }
            }
        }

        return new DeploymentMetrics(Deployment, n, failed, Quantile(latency, n, 0.95));
    }

    /// <summary>Appends this deployment's series in the Prometheus text format (the families' HELP/TYPE lines are the
    /// caller's, written once).</summary>
    public void WritePrometheus(StringBuilder requestsOut, StringBuilder errorsOut, StringBuilder tokensOut, StringBuilder histogramOut)
    {
        ArgumentNullException.ThrowIfNull(requestsOut);
        ArgumentNullException.ThrowIfNull(errorsOut);
        ArgumentNullException.ThrowIfNull(tokensOut);
        ArgumentNullException.ThrowIfNull(histogramOut);
        long[] buckets;
        long n, failed, generated;
        double sum;
        lock (gate)
        {
            buckets = (long[])totalBuckets.Clone();
            (n, failed, generated, sum) = (requests, errors, tokens, latencySumSeconds);
        }

        string labels = $"endpoint=\"{Escape(Endpoint)}\",deployment=\"{Escape(Deployment)}\"";
        requestsOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_requests_total{{{labels}}} {n}\n");
        errorsOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_request_errors_total{{{labels}}} {failed}\n");
        tokensOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_generated_tokens_total{{{labels}}} {generated}\n");

        // Every fourth bound (powers of two times MinMs) is exported: cumulative counts at those bounds are exact.
        long cumulative = 0;
        for (int k = 0; k < Buckets - 1; k++)
        {
            cumulative += buckets[k];
            if (k % 4 == 0)
            {
                double le = UpperMs(k) / 1000;
                histogramOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_request_duration_seconds_bucket{{{labels},le=\"{le.ToString("G6", CultureInfo.InvariantCulture)}\"}} {cumulative}\n");
            }
        }

        histogramOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {n}\n");
        histogramOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_request_duration_seconds_sum{{{labels}}} {sum.ToString("R", CultureInfo.InvariantCulture)}\n");
        histogramOut.Append(CultureInfo.InvariantCulture, $"genai_endpoint_request_duration_seconds_count{{{labels}}} {n}\n");
    }

    static int BucketOf(double ms) =>
        ms <= MinMs ? 0 : Math.Min(Buckets - 1, (int)Math.Ceiling(4 * Math.Log2(ms / MinMs) - 1e-9));

    static double UpperMs(int k) => MinMs * Math.Pow(2, k / 4.0);

    /// <summary>The quantile by linear interpolation inside the bucket that holds it.</summary>
    static double? Quantile(long[] buckets, long n, double q)
    {
        if (n == 0)
        {
            return null;
        }

        double rank = q * n;
        long cumulative = 0;
        for (int k = 0; k < buckets.Length; k++)
        {
            if (buckets[k] > 0 && cumulative + buckets[k] >= rank)
            {
                double lower = k == 0 ? 0 : UpperMs(k - 1), upper = UpperMs(k);
                return lower + ((upper - lower) * (rank - cumulative) / buckets[k]);
            }

            cumulative += buckets[k];
        }

        return UpperMs(buckets.Length - 1);
    }

    static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    struct Slot
    {
        public long Second;
        public long Requests;
        public long Errors;
        public long[]? Latency;
    }
}
