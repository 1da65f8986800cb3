using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

/// <summary>Stands in for an Azure ML managed online endpoint: deployments and a traffic split in memory, with the
/// rules the service enforces (traffic only to existing deployments, summing to 100; no deleting a deployment that
/// still takes traffic). A new deployment reports <c>Creating</c> on the first read after it is created and its
/// final state from then on. A simulated restart (<see cref="RestartsAfterShiftTo"/>, <see cref="RestartsDuringProbeAt"/>)
/// makes every deployment reload its model, as the local endpoint host does: it reports <c>Creating</c> for
/// <see cref="ReloadReads"/> reads and cannot score meanwhile.</summary>
internal sealed class InMemoryEndpointHost(string endpoint) : IEndpointHost, IDeploymentMetrics
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, DeploymentInfo> deployments = new(StringComparer.Ordinal);
    private readonly HashSet<string> creating = new(StringComparer.Ordinal);
    private readonly List<IReadOnlyDictionary<string, int>> trafficHistory = [];
    private readonly List<string> deleted = [];
    private Dictionary<string, int> traffic = new(StringComparer.Ordinal);
    private readonly List<string> metricReads = [];
    private readonly List<(string, string)> lossRequests = [];

    private readonly Dictionary<string, int> reloading = new(StringComparer.Ordinal);
    private int routed;
    private bool restarted;

    /// <summary>When set, a new deployment ends <c>Failed</c> with this detail instead of <c>Succeeded</c>.</summary>
    public string? ProvisioningFailure { get; init; }

    /// <summary>Whether a request routed to a deployment with the given traffic share fails.</summary>
    public Func<string, int, bool> FailsWhen { get; init; } = (_, _) => false;

    /// <summary>What the metrics say of a deployment with the given traffic share; none served anything by default.</summary>
    public Func<string, int, DeploymentMetrics> MetricsWhen { get; init; } = (name, _) => new DeploymentMetrics(name, 0, 0, null);

    /// <summary>The bits per byte a deployment scores a text at (its loss is that times the text's bytes); 1 by default.</summary>
    public Func<string, string, double> BitsPerByteWhen { get; init; } = (_, _) => 1.0;

    /// <summary>The texts scored for their loss, as (deployment, text), in order.</summary>
    public IReadOnlyList<(string Deployment, string Text)> LossRequests { get { lock (gate) { return [.. lossRequests]; } } }

    /// <summary>Whether deleting the deployment fails (a retirement that cannot finish).</summary>
    public Func<string, bool> DeleteFailsWhen { get; init; } = _ => false;

    /// <summary>The deployments whose metrics were read, in order.</summary>
    public IReadOnlyList<string> MetricReads { get { lock (gate) { return [.. metricReads]; } } }

    /// <summary>When set, the host restarts right after a traffic split that gives some deployment this share.</summary>
    public int? RestartsAfterShiftTo { get; init; }

    /// <summary>When set, the host restarts while a request to a deployment with this share of the traffic is being
    /// answered (the request fails), as a probe in flight across a restart does.</summary>
    public int? RestartsDuringProbeAt { get; init; }

    /// <summary>How many reads of the endpoint a restarted deployment reports <c>Creating</c> for.</summary>
    public int ReloadReads { get; init; } = 2;

    /// <summary>How many times the host restarted.</summary>
    public int Restarts { get { lock (gate) { return restarted ? 1 : 0; } } }

    public IReadOnlyList<IReadOnlyDictionary<string, int>> TrafficHistory { get { lock (gate) { return [.. trafficHistory]; } } }

    public IReadOnlyDictionary<string, int> Traffic { get { lock (gate) { return new Dictionary<string, int>(traffic); } } }

    public IReadOnlyCollection<string> Deployments { get { lock (gate) { return [.. deployments.Keys]; } } }

    public IReadOnlyList<string> Deleted { get { lock (gate) { return [.. deleted]; } } }

    /// <summary>An existing, provisioned deployment taking all the traffic.</summary>
    public InMemoryEndpointHost WithLiveDeployment(string name, int version)
    {
        lock (gate)
        {
            deployments[name] = new DeploymentInfo(name, version, DeploymentProvisioning.Succeeded, "live");
            traffic = new Dictionary<string, int>(StringComparer.Ordinal) { [name] = 100 };
        }

        return this;
    }

    public Task CreateDeploymentAsync(DeploymentSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (gate)
        {
            CheckEndpoint(spec.Endpoint);
            if (deployments.TryAdd(spec.Deployment, new DeploymentInfo(spec.Deployment, spec.Model.Version, DeploymentProvisioning.Creating, "creating")))
            {
                creating.Add(spec.Deployment);
            }
        }

        return Task.CompletedTask;
    }

    public Task<EndpointInfo> GetEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            CheckEndpoint(endpoint);
            var info = new EndpointInfo(
                endpoint,
                [.. deployments.Values.Select(d => reloading.ContainsKey(d.Name) ? d with { State = DeploymentProvisioning.Creating, Detail = "loading its model" } : d)],
                new Dictionary<string, int>(traffic));
            foreach (string name in reloading.Keys.ToList())
            {
                if (--reloading[name] <= 0)
                {
                    reloading.Remove(name);
                }
            }

            foreach (string name in creating)
            {
                deployments[name] = ProvisioningFailure is { } failure
                    ? deployments[name] with { State = DeploymentProvisioning.Failed, Detail = failure }
                    : deployments[name] with { State = DeploymentProvisioning.Succeeded, Detail = "ready" };
            }

            creating.Clear();
            return Task.FromResult(info);
        }
    }

    public Task SetTrafficAsync(TrafficSplit split, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(split);
        lock (gate)
        {
            CheckEndpoint(split.Endpoint);
            if (split.Traffic.Keys.FirstOrDefault(d => !deployments.ContainsKey(d)) is { } unknown)
            {
                throw new InvalidOperationException($"traffic names deployment {unknown}, which does not exist");
            }

            int total = split.Traffic.Values.Sum();
            if (total is not (0 or 100))
            {
                throw new InvalidOperationException($"traffic sums to {total}, not 100");
            }

            traffic = new Dictionary<string, int>(split.Traffic, StringComparer.Ordinal);
            trafficHistory.Add(new Dictionary<string, int>(traffic, StringComparer.Ordinal));
            if (RestartsAfterShiftTo is { } at && split.Traffic.Values.Contains(at))
            {
                Restart();
            }
        }

        return Task.CompletedTask;
    }

    public Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? deployment, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            CheckEndpoint(endpoint);
            string target = deployment ?? Route();
            if (RestartsDuringProbeAt is { } at && deployment is not null && traffic.GetValueOrDefault(target) == at && !restarted)
            {
                Restart();
                throw new InvalidOperationException($"deployment {target}: connection reset (the host restarted)");
            }

            if (!deployments.TryGetValue(target, out DeploymentInfo? info) || info.State != DeploymentProvisioning.Succeeded || reloading.ContainsKey(target))
            {
                throw new KeyNotFoundException($"deployment {target} is not ready to score");
            }

            if (FailsWhen(target, traffic.GetValueOrDefault(target)))
            {
                throw new InvalidOperationException($"deployment {target} answered HTTP 500");
            }

            return Task.FromResult(new ScoreResult(target, $"{prompt} … answered by {target}"));
        }
    }

    public Task<LossScore> ScoreLossAsync(string endpoint, string text, string deployment, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            CheckEndpoint(endpoint);
            if (RestartsDuringProbeAt is { } at && traffic.GetValueOrDefault(deployment) == at && !restarted)
            {
                Restart();
                throw new InvalidOperationException($"deployment {deployment}: connection reset (the host restarted)");
            }

            if (!deployments.TryGetValue(deployment, out DeploymentInfo? info) || info.State != DeploymentProvisioning.Succeeded || reloading.ContainsKey(deployment))
            {
                throw new KeyNotFoundException($"deployment {deployment} is not ready to score");
            }

            if (FailsWhen(deployment, traffic.GetValueOrDefault(deployment)))
            {
                throw new InvalidOperationException($"deployment {deployment} answered HTTP 500");
            }

            lossRequests.Add((deployment, text));
            long bytes = System.Text.Encoding.UTF8.GetByteCount(text);
            return Task.FromResult(new LossScore(deployment, BitsPerByteWhen(deployment, text) * bytes, bytes));
        }
    }

    public Task DeleteDeploymentAsync(DeploymentRef deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        lock (gate)
        {
            CheckEndpoint(deployment.Endpoint);
            if (DeleteFailsWhen(deployment.Deployment))
            {
                throw new InvalidOperationException($"deleting {deployment.Deployment} failed: InternalServerError");
            }

            if (traffic.GetValueOrDefault(deployment.Deployment) > 0)
            {
                throw new InvalidOperationException($"deployment {deployment.Deployment} still takes {traffic[deployment.Deployment]}% of the traffic");
            }

            if (deployments.Remove(deployment.Deployment))
            {
                deleted.Add(deployment.Deployment);
            }
        }

        return Task.CompletedTask;
    }

    public Task<DeploymentMetrics> ReadAsync(MetricsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (gate)
        {
            CheckEndpoint(query.Endpoint);
            metricReads.Add(query.Deployment);
            return Task.FromResult(MetricsWhen(query.Deployment, traffic.GetValueOrDefault(query.Deployment)));
        }
    }

    /// <summary>The first restart only: every provisioned deployment reloads its model.</summary>
    private void Restart()
    {
        if (restarted)
        {
            return;
        }

        restarted = true;
        foreach (DeploymentInfo d in deployments.Values.Where(d => d.State == DeploymentProvisioning.Succeeded))
        {
            reloading[d.Name] = ReloadReads;
        }
    }

    /// <summary>Weighted routing, deterministic: successive requests land on slots spread over 0–99.</summary>
    private string Route()
    {
        int slot = routed++ * 37 % 100;
        foreach ((string name, int percent) in traffic.Where(t => t.Value > 0).OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (slot < percent)
            {
                return name;
            }

            slot -= percent;
        }

        throw new InvalidOperationException("the endpoint takes no traffic");
    }

    private void CheckEndpoint(string name)
    {
        if (name != endpoint)
        {
            throw new KeyNotFoundException($"endpoint {name} does not exist; this host serves {endpoint}");
        }
    }
}
