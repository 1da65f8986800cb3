using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using GenAiServerless.Rollout;

namespace GenAiServerless.Local.Endpoints;

/// <summary>What a deployment runs: a prompt in, a completion and the tokens it generated out.</summary>
public delegate Task<Generation> Generator(string prompt, CancellationToken cancellationToken);

/// <summary>A deployment's answer.</summary>
public sealed record Generation(string Completion, int Tokens);

/// <summary>Fault injection for one deployment (tests, the demo, the bench): a share of its requests fails with a 500,
/// exactly that share (every request n fails when ⌊(n+1)·rate⌋ &gt; ⌊n·rate⌋), after the first
/// <see cref="AfterRequests"/>; every request waits <see cref="AddedLatency"/> first.</summary>
public sealed class DeploymentFault
{
    public double ErrorRate { get; set; }

    public TimeSpan AddedLatency { get; set; }

    /// <summary>Requests served normally before the fault starts (a deployment that goes bad under load).</summary>
    public int AfterRequests { get; set; }

    /// <summary>A message naming the setting and what is wrong with it, or null when the fault is valid.</summary>
    public string? Problem(string key) =>
        ErrorRate is < 0 or > 1 || double.IsNaN(ErrorRate) ? $"LocalEndpoints:Faults:{key}:ErrorRate must be between 0 and 1 (was {ErrorRate})"
        : AddedLatency < TimeSpan.Zero || AddedLatency > TimeSpan.FromMinutes(5) ? $"LocalEndpoints:Faults:{key}:AddedLatency must be between 00:00:00 and 00:05:00 (was {AddedLatency})"
        : AfterRequests < 0 ? $"LocalEndpoints:Faults:{key}:AfterRequests must not be negative (was {AfterRequests})"
        : null;
}

/// <summary>A request failed because of an injected fault (HTTP 500 at the scoring route).</summary>
public sealed class InjectedFaultException : InvalidOperationException
{
    public InjectedFaultException(string message)
        : base(message)
    {
    }

    public InjectedFaultException()
    {
    }

    public InjectedFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The local endpoints' request path: which deployment answers a request (an exact weighted split, a pin, mirror
/// copies), fault injection, and per-deployment metrics. Each endpoint's routing state is one immutable table swapped
/// atomically: a request takes the table once and finishes on the deployment it chose, so adding or removing a
/// deployment, or moving traffic, never drops a request in flight.</summary>
public sealed class DeploymentRouter(TimeProvider clock)
{
    readonly ConcurrentDictionary<string, RouteTable> tables = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DeploymentMeter> meters = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, FaultState> faults = new(StringComparer.Ordinal);
    readonly Lock writes = new();

    /// <summary>Serves <paramref name="deployment"/> (pinned requests, and its share once traffic names it).</summary>
    public void Add(string endpoint, string deployment, int version, Generator generate)
    {
        ArgumentNullException.ThrowIfNull(generate);
        DeploymentMeter meter = meters.GetOrAdd(Key(endpoint, deployment), _ => new DeploymentMeter(endpoint, deployment));
        Swap(endpoint, t => t with { Deployments = t.Deployments.SetItem(deployment, new Runtime(deployment, version, generate, meter)) });
    }

    /// <summary>Stops serving <paramref name="deployment"/>; requests already on it finish.</summary>
    public void Remove(string endpoint, string deployment)
    {
        Swap(endpoint, t => t.Live.Contains(deployment)
            ? throw new InvalidOperationException($"deployment {deployment} still takes traffic of {endpoint}; move its traffic first")
            : t with { Deployments = t.Deployments.Remove(deployment), Mirror = t.Mirror.RemoveAll(m => m.Deployment == deployment) });
        meters.TryRemove(Key(endpoint, deployment), out _);
        faults.TryRemove(Key(endpoint, deployment), out _);
    }

    public bool IsServing(string endpoint, string deployment) => tables.TryGetValue(endpoint, out RouteTable? t) && t.Deployments.ContainsKey(deployment);

    /// <summary>Replaces the split (percent, summing to 100, or empty) and the mirror shares (at most 50 % each, never to
    /// a deployment that takes live traffic).</summary>
    public void SetTraffic(string endpoint, IReadOnlyDictionary<string, int> live, IReadOnlyDictionary<string, int>? mirror)
    {
        ArgumentNullException.ThrowIfNull(live);
        var weights = live.Where(t => t.Value > 0).OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        int total = weights.Sum(t => t.Value);
        if (weights.Count > 0 && total != 100)
        {
            throw new InvalidOperationException($"traffic for endpoint {endpoint} must sum to 100, got {total}");
        }

        var mirrors = (mirror ?? new Dictionary<string, int>()).Where(m => m.Value > 0).OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => m.Value > 50 ? throw new InvalidOperationException($"mirror traffic of {endpoint} to {m.Key} is {m.Value}%: at most 50")
                : live.GetValueOrDefault(m.Key) > 0 ? throw new InvalidOperationException($"deployment {m.Key} takes live traffic of {endpoint}; it cannot also get mirror traffic")
                : new MirrorShare(m.Key, m.Value))
            .ToImmutableArray();
        Swap(endpoint, t => t with { Live = Schedule(weights), Mirror = mirrors, Counter = new RequestCounter() });
    }

    /// <summary>Answers a request: on the pinned deployment, else on the one the split's schedule names; copies it to the
    /// mirror deployments whose share this request falls in, their answers discarded.</summary>
    public async Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? pinned, CancellationToken cancellationToken)
    {
        if (!tables.TryGetValue(endpoint, out RouteTable? table))
        {
            throw new KeyNotFoundException($"no endpoint '{endpoint}'");
        }

        Runtime runtime;
        if (pinned is not null)
        {
            runtime = table.Deployments.GetValueOrDefault(pinned) ?? throw new KeyNotFoundException($"endpoint '{endpoint}' has no ready deployment '{pinned}'");
        }
        else
        {
            if (table.Live.IsEmpty)
            {
                throw new InvalidOperationException($"endpoint '{endpoint}' has no deployment taking traffic");
            }

            long n = table.Counter.Next();
            string name = table.Live[(int)(n % table.Live.Length)];
            runtime = table.Deployments.GetValueOrDefault(name) ?? throw new InvalidOperationException($"deployment '{name}' of '{endpoint}' is not ready");
            foreach (MirrorShare m in table.Mirror)
            {
                if ((n + 1) * m.Percent / 100 > n * m.Percent / 100 && table.Deployments.GetValueOrDefault(m.Deployment) is { } shadow)
                {
                    _ = Task.Run(() => MirrorAsync(endpoint, shadow, prompt), CancellationToken.None);
                }
            }
        }

        Generation answer = await ServeAsync(endpoint, runtime, prompt, cancellationToken);
        return new ScoreResult(runtime.Name, answer.Completion);
    }

    /// <summary>Calls a deployment's model straight, past the router (no split, fault or metrics): the baseline the
    /// bench measures the router against.</summary>
    public Task<Generation> ScoreDirectAsync(string endpoint, string deployment, string prompt, CancellationToken cancellationToken) =>
        tables.TryGetValue(endpoint, out RouteTable? t) && t.Deployments.TryGetValue(deployment, out Runtime? runtime)
            ? runtime.Generate(prompt, cancellationToken)
            : throw new KeyNotFoundException($"endpoint '{endpoint}' has no ready deployment '{deployment}'");

    /// <summary>Sets or clears (null) the fault of a deployment; it applies from the next request.</summary>
    public void SetFault(string endpoint, string deployment, DeploymentFault? fault)
    {
        if (fault is null)
        {
            faults.TryRemove(Key(endpoint, deployment), out _);
            return;
        }

        if (fault.Problem($"{endpoint}/{deployment}") is { } problem)
        {
            throw new ArgumentException(problem, nameof(fault));
        }

        faults[Key(endpoint, deployment)] = new FaultState(fault);
    }

    public DeploymentMetrics Read(MetricsQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return meters.TryGetValue(Key(query.Endpoint, query.Deployment), out DeploymentMeter? meter)
            ? meter.Read(query.From, query.To)
            : new DeploymentMetrics(query.Deployment, 0, 0, null);
    }

    /// <summary>Every deployment's metrics and every endpoint's split in the Prometheus text format (version 0.0.4).</summary>
    public string Prometheus()
    {
        StringBuilder requests = new(), errors = new(), tokens = new(), histogram = new(), traffic = new();
        foreach (DeploymentMeter meter in meters.Values.OrderBy(m => m.Endpoint, StringComparer.Ordinal).ThenBy(m => m.Deployment, StringComparer.Ordinal))
        {
            meter.WritePrometheus(requests, errors, tokens, histogram);
        }

        foreach ((string endpoint, RouteTable table) in tables.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            foreach (IGrouping<string, string> share in table.Live.GroupBy(d => d, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                traffic.Append(System.Globalization.CultureInfo.InvariantCulture, $"genai_endpoint_traffic_percent{{endpoint=\"{endpoint}\",deployment=\"{share.Key}\"}} {share.Count()}\n");
            }
        }

        return new StringBuilder()
            .Append("# HELP genai_endpoint_requests_total Scoring requests served by a deployment.\n# TYPE genai_endpoint_requests_total counter\n").Append(requests)
            .Append("# HELP genai_endpoint_request_errors_total Scoring requests a deployment failed.\n# TYPE genai_endpoint_request_errors_total counter\n").Append(errors)
            .Append("# HELP genai_endpoint_generated_tokens_total Tokens a deployment generated.\n# TYPE genai_endpoint_generated_tokens_total counter\n").Append(tokens)
            .Append("# HELP genai_endpoint_request_duration_seconds Scoring latency of a deployment.\n# TYPE genai_endpoint_request_duration_seconds histogram\n").Append(histogram)
            .Append("# HELP genai_endpoint_traffic_percent Live traffic share of a deployment.\n# TYPE genai_endpoint_traffic_percent gauge\n").Append(traffic)
            .ToString();
    }

    async Task<Generation> ServeAsync(string endpoint, Runtime runtime, string prompt, CancellationToken cancellationToken)
    {
        long started = clock.GetTimestamp();
        try
        {
            if (faults.TryGetValue(Key(endpoint, runtime.Name), out FaultState? fault))
            {
                if (fault.Fault.AddedLatency > TimeSpan.Zero)
                {
                    await Task.Delay(fault.Fault.AddedLatency, clock, cancellationToken);
                }

                if (fault.NextFails())
                {
                    throw new InjectedFaultException($"deployment '{runtime.Name}' of '{endpoint}' failed the request (injected fault, error rate {fault.Fault.ErrorRate:P0})");
                }
            }

            Generation answer = await runtime.Generate(prompt, cancellationToken);
            runtime.Meter.Record(clock.GetUtcNow(), clock.GetElapsedTime(started), failed: false, answer.Tokens);
            return answer;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the caller went away: not the deployment's failure
        }
        catch (Exception)
        {
            runtime.Meter.Record(clock.GetUtcNow(), clock.GetElapsedTime(started), failed: true, 0);
            throw;
        }
    }

    async Task MirrorAsync(string endpoint, Runtime shadow, string prompt)
    {
        try
        {
            _ = await ServeAsync(endpoint, shadow, prompt, CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            // A mirror's answer is discarded, its failure too; its metrics counted it.
        }
    }

    void Swap(string endpoint, Func<RouteTable, RouteTable> change)
    {
        lock (writes)
        {
            RouteTable current = tables.GetOrAdd(endpoint, _ => RouteTable.Empty);
            tables[endpoint] = change(current);
        }
    }

    /// <summary>100 slots spread by smooth weighted round robin: each deployment takes exactly its percent of every 100
    /// consecutive requests, interleaved rather than in runs.</summary>
    static ImmutableArray<string> Schedule(List<KeyValuePair<string, int>> weights)
    {
        if (weights.Count == 0)
        {
            return [];
        }

        var current = new int[weights.Count];
        var slots = ImmutableArray.CreateBuilder<string>(100);
        for (int s = 0; s < 100; s++)
        {
            int best = 0;
            for (int i = 0; i < weights.Count; i++)
            {
                current[i] += weights[i].Value;
                if (current[i] > current[best])
                {
                    best = i;
                }
            }

            current[best] -= 100;
            slots.Add(weights[best].Key);
        }

        return slots.MoveToImmutable();
    }

    static string Key(string endpoint, string deployment) => $"{endpoint}/{deployment}";

    sealed record Runtime(string Name, int Version, Generator Generate, DeploymentMeter Meter);

    sealed record MirrorShare(string Deployment, int Percent);

    sealed record RouteTable(ImmutableDictionary<string, Runtime> Deployments, ImmutableArray<string> Live, ImmutableArray<MirrorShare> Mirror, RequestCounter Counter)
    {
        public static readonly RouteTable Empty = new(ImmutableDictionary.Create<string, Runtime>(StringComparer.Ordinal), [], [], new RequestCounter());
    }

    sealed class RequestCounter
    {
        long next = -1;

        public long Next() => Interlocked.Increment(ref next);
    }

    sealed class FaultState(DeploymentFault fault)
    {
        long served = -1;

        public DeploymentFault Fault { get; } = fault;

        public bool NextFails()
        {
            long n = Interlocked.Increment(ref served) - Fault.AfterRequests;
            return n >= 0 && Math.Floor((n + 1) * Fault.ErrorRate) > Math.Floor(n * Fault.ErrorRate);
        }
    }
}
