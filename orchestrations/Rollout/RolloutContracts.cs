namespace GenAiServerless.Rollout;

/// <summary>How a registered version is rolled out to the model's endpoint.</summary>
/// <param name="TrafficSteps">Percent of traffic on the new deployment at each step; the last is 100.</param>
/// <param name="BakeTime">How long each step bakes before the new deployment is judged.</param>
/// <param name="ReadinessTimeout">How long the new deployment may take to become ready.</param>
/// <param name="ReadinessPollInterval">How often its provisioning state is read meanwhile.</param>
/// <param name="ProbePrompt">The prompt of the pinned smoke probe before the new deployment takes traffic.</param>
/// <param name="Analysis">How each step's bake is judged; none judges only the probes.</param>
/// <param name="PromotionGrace">How long the previous deployment stays warm at 0 % after promotion, so a rollback is a
/// traffic change; it is retired after that.</param>
public sealed record RolloutPolicy(
    IReadOnlyList<int> TrafficSteps,
    TimeSpan BakeTime,
    TimeSpan ReadinessTimeout,
    TimeSpan ReadinessPollInterval,
    string ProbePrompt,
    AnalysisPolicy? Analysis = null,
    TimeSpan PromotionGrace = default);

/// <summary>How a canary is judged during each step's bake: the metrics of the new deployment against those of the
/// current one, read every <paramref name="Interval"/>, and a quality probe: fixed texts of the model scored for their
/// loss on both deployments, paired.</summary>
/// <param name="Interval">How often the metrics are read during a bake (a durable timer between reads).</param>
/// <param name="MinRequests">Requests the new deployment must have served in the step before its metrics are judged.</param>
/// <param name="MaxErrorRateRatio">The new error rate may be at most this multiple of the current one…</param>
/// <param name="ErrorRateFloor">…but an error rate at or below this share always passes.</param>
/// <param name="MaxLatencyRatio">The new p95 latency may be at most this multiple of the current one…</param>
/// <param name="LatencyFloor">…but a p95 at or below this always passes.</param>
/// <param name="QualityPrompts">The quality probe's texts for a model with no fixed evaluation set (see
/// <see cref="IQualityProbeTexts"/>).</param>
/// <param name="MaxQualityRegression">The new deployment's bits per byte over the probe texts may exceed the current
/// one's by at most this share (0.05: 5 % worse).</param>
/// <param name="QualitySamples">How many texts the quality probe scores: the first of the model's fixed set.</param>
public sealed record AnalysisPolicy(
    TimeSpan Interval,
    int MinRequests,
    double MaxErrorRateRatio,
    double ErrorRateFloor,
    double MaxLatencyRatio,
    TimeSpan LatencyFloor,
    IReadOnlyList<string> QualityPrompts,
    double MaxQualityRegression = AnalysisPolicy.DefaultMaxQualityRegression,
    int QualitySamples = AnalysisPolicy.DefaultQualitySamples)
{
    public const double DefaultMaxQualityRegression = 0.05;

    public const int DefaultQualitySamples = 16;
}

/// <summary>A model version as the rollout deploys it: its number and where its files are.</summary>
public sealed record DeployableModel(string Model, int Version, string FilesPrefix);

/// <summary>Input of <see cref="RolloutOrchestrator"/>: which version goes to the model's endpoint, and how.</summary>
public sealed record RolloutRequest(DeployableModel Model, RolloutPolicy Policy);

/// <summary>How a rollout ended: the new deployment, the one it replaced, and each step taken.</summary>
public sealed record RolloutResult(bool Succeeded, string Deployment, string? PreviousDeployment, IReadOnlyList<string> Steps, string? ProbeAnswer, string Detail);

/// <summary>Provisioning state of a deployment, in Azure ML's terms.</summary>
public enum DeploymentProvisioning
{
    Creating,
    Succeeded,
    Failed,
    Deleting,
}

/// <summary>One deployment on an endpoint.</summary>
public sealed record DeploymentInfo(string Name, int ModelVersion, DeploymentProvisioning State, string Detail);

/// <summary>An endpoint: its deployments, the traffic split between them (percent, summing to 100 when any) and the
/// share of requests copied to deployments whose answers are discarded (mirror traffic, at most 50 % each).</summary>
public sealed record EndpointInfo(string Name, IReadOnlyList<DeploymentInfo> Deployments, IReadOnlyDictionary<string, int> Traffic, IReadOnlyDictionary<string, int>? Mirror = null);

/// <summary>A scoring answer and the deployment that gave it.</summary>
public sealed record ScoreResult(string Deployment, string Completion);

/// <summary>The loss of one text on one deployment, in the evaluation's unit (<c>examples.jsonl</c>): the bits of every
/// token, end included (−log₂ p), and the text's UTF-8 bytes.</summary>
public sealed record LossScore(string Deployment, double Bits, long Bytes)
{
    /// <summary>Bits per byte; null for a text with no bytes.</summary>
    public double? BitsPerByte => Bytes > 0 ? Bits / Bytes : null;
}

/// <summary>The fixed texts of a model's quality probe: the first <c>count</c> records of its fixed evaluation set, in
/// name order, so every rollout of the model scores the same texts. The pipeline wires it to the evaluation stage; the
/// rollout stage does not know where the set is.</summary>
public interface IQualityProbeTexts
{
    /// <summary>At most <paramref name="count"/> non-empty texts, always the same for the model; none when it has no set.</summary>
    Task<QualityProbeTexts> ReadAsync(string model, int count, CancellationToken cancellationToken);
}

/// <summary>A model's probe texts and where they came from (for the verdict).</summary>
public sealed record QualityProbeTexts(IReadOnlyList<string> Texts, string Source);

/// <summary>Input of the deployment activities.</summary>
public sealed record DeploymentRef(string Endpoint, string Deployment);

/// <summary>Input of <see cref="CreateDeployment"/>.</summary>
public sealed record DeploymentSpec(string Endpoint, string Deployment, DeployableModel Model);

/// <summary>Input of <see cref="ShiftTraffic"/>: the live split, and the mirror traffic (none when null).</summary>
public sealed record TrafficSplit(string Endpoint, IReadOnlyDictionary<string, int> Traffic, IReadOnlyDictionary<string, int>? Mirror = null);

/// <summary>Input of <see cref="ProbeEndpoint"/>: a prompt, optionally pinned to one deployment, sent a few times.</summary>
public sealed record ProbeRequest(string Endpoint, string? Deployment, string Prompt, int Requests);

/// <summary>What a probe saw: answers per deployment and failures.</summary>
public sealed record ProbeResult(int Succeeded, int Failed, IReadOnlyDictionary<string, int> ByDeployment, string? SampleAnswer, string? FirstError);

/// <summary>Input of <see cref="IDeploymentMetrics.ReadAsync"/>: one deployment's requests in a time window.</summary>
public sealed record MetricsQuery(string Endpoint, string Deployment, DateTimeOffset From, DateTimeOffset To);

/// <summary>What a deployment served in a window: requests, failed requests (5xx, timeouts, injected faults) and the
/// 95th percentile of its request latency (null when it served none).</summary>
public sealed record DeploymentMetrics(string Deployment, long Requests, long Errors, double? LatencyP95Ms)
{
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;
}

/// <summary>Per-deployment request metrics, read by the rollout's analysis: the local endpoint host's own counters, or
/// Azure Monitor metrics of an Azure ML online deployment.</summary>
public interface IDeploymentMetrics
{
    Task<DeploymentMetrics> ReadAsync(MetricsQuery query, CancellationToken cancellationToken);
}

/// <summary>Online endpoints: Azure ML managed online endpoints, or the local Kestrel endpoint host.</summary>
public interface IEndpointHost
{
    /// <summary>Creates the deployment unless it exists (idempotent); provisioning continues in the background.</summary>
    Task CreateDeploymentAsync(DeploymentSpec spec, CancellationToken cancellationToken);

    Task<EndpointInfo> GetEndpointAsync(string endpoint, CancellationToken cancellationToken);

    /// <summary>Replaces the traffic split (GET → edit → PUT in Azure ML terms).</summary>
    Task SetTrafficAsync(TrafficSplit split, CancellationToken cancellationToken);

    Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? deployment, CancellationToken cancellationToken);

    /// <summary>The loss of <paramref name="text"/> on one deployment (a scoring request <c>{"text": …}</c> pinned to
    /// it): the same bits the evaluation job writes for that text and model.</summary>
    Task<LossScore> ScoreLossAsync(string endpoint, string text, string deployment, CancellationToken cancellationToken);

    /// <summary>Deletes a deployment that takes no traffic (idempotent).</summary>
    Task DeleteDeploymentAsync(DeploymentRef deployment, CancellationToken cancellationToken);
}

/// <summary>What an operator asks of a running rollout.</summary>
public enum RolloutAction
{
    /// <summary>Hold traffic where it is; the bake clock stops until <see cref="Resume"/>.</summary>
    Pause,

    /// <summary>Continue a paused rollout.</summary>
    Resume,

    /// <summary>Give all traffic back to the previous deployment now and end the rollout as rolled back.</summary>
    Rollback,
}

/// <summary>An operator's command to a running rollout, raised as the external event <see cref="EventName"/> on the
/// rollout's orchestration (instance id <c>{run id}-rollout</c>); <paramref name="By"/> is the verified caller.</summary>
public sealed record RolloutCommand(RolloutAction Action, string By)
{
    public const string EventName = "RolloutCommand";

    /// <summary>The rollout orchestration's instance id for a pipeline or deployment run.</summary>
    public static string InstanceIdFor(string runId) => $"{runId}-rollout";
}
