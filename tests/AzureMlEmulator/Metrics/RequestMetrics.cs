namespace GenAiServerless.AzureMlEmulator.Metrics;

/// <summary>One request the scoring route served: to which endpoint and deployment, with what status, how long it
/// took, and whether it was a mirrored copy (mirrored copies count for their deployment, not for the endpoint).</summary>
public sealed record RequestSample(string Workspace, string Endpoint, string Deployment, int StatusCode, int? ModelStatusCode, double LatencyMs, bool Mirrored)
{
    public DateTimeOffset At { get; init; }
}

/// <summary>The requests the scoring route served, the source of the Azure Monitor metrics the emulator answers.</summary>
sealed class RequestMetrics(TimeProvider clock)
{
    const int Capacity = 200_000;
    readonly Lock gate = new();
    readonly Queue<RequestSample> samples = new();

    public void Record(RequestSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (gate)
        {
            samples.Enqueue(sample with { At = clock.GetUtcNow() });
            while (samples.Count > Capacity)
            {
                samples.Dequeue();
            }
        }
    }

    public RequestSample[] Between(string workspace, string endpoint, DateTimeOffset from, DateTimeOffset to)
    {
        lock (gate)
        {
            return [.. samples.Where(s => s.At >= from && s.At < to
                && string.Equals(s.Workspace, workspace, StringComparison.Ordinal)
                && string.Equals(s.Endpoint, endpoint, StringComparison.OrdinalIgnoreCase))];
        }
    }
}
