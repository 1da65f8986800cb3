using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Rollout;

/// <summary>Progressive rollout. Bound from <c>Rollout</c>; durations are <c>[d.]hh:mm:ss</c>.</summary>
public sealed class RolloutOptions
{
    /// <summary>The canary steps used when configuration names none.</summary>
    public static readonly IReadOnlyList<int> DefaultTrafficSteps = [10, 50, 100];

    /// <summary>Percent of traffic on the new deployment at each step; the last is 100. Empty here on purpose: the
    /// configuration binder appends to a list that already has items, so a non-empty default would run every step
    /// twice. <see cref="DefaultTrafficSteps"/> fills it after binding when configuration names none.</summary>
    public List<int> TrafficSteps { get; set; } = [];

    /// <summary>How long each step bakes before the new deployment is judged.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan BakeTime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a new deployment may take to become ready.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ReadinessTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often a new deployment's provisioning state is read while it becomes ready (each read is an
    /// activity between durable timers, so a long timeout with a short interval makes a long history).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan ReadinessPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The prompt of the pinned smoke probe before the new deployment takes traffic.</summary>
    [Required]
    public string ProbePrompt { get; set; } = "the model";

    /// <summary>How long the previous deployment stays warm at 0 % after promotion (alias <c>previous</c>), so a rollback
    /// is a traffic change; the rollout (and the run that started it) ends when it is retired.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan PromotionGrace { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How each step's bake is judged.</summary>
    public RolloutAnalysisOptions Analysis { get; set; } = new();

    /// <summary>The analysis policy a request carries; the quality probe's configured texts fall back to <see cref="ProbePrompt"/>.</summary>
    public AnalysisPolicy AnalysisPolicy() => new(
        Analysis.Interval, Analysis.MinRequests, Analysis.MaxErrorRateRatio, Analysis.ErrorRateFloor, Analysis.MaxLatencyRatio, Analysis.LatencyFloor,
        Analysis.QualityPrompts.Count > 0 ? [.. Analysis.QualityPrompts] : [ProbePrompt], Analysis.MaxQualityRegression, Analysis.QualitySamples);

    /// <summary>The first invalid analysis setting, or null.</summary>
    public string? AnalysisProblem() => Analysis switch
    {
        { Interval: var i } when i < TimeSpan.FromMilliseconds(100) || i > TimeSpan.FromHours(1) => $"Rollout:Analysis:Interval must be between 00:00:00.100 and 01:00:00 (was {i})",
        { MinRequests: < 1 } a => $"Rollout:Analysis:MinRequests must be at least 1 (was {a.MinRequests})",
        { MaxErrorRateRatio: var r } when !(r >= 1) => $"Rollout:Analysis:MaxErrorRateRatio must be at least 1 (was {r})",
        { ErrorRateFloor: var f } when !(f is >= 0 and < 1) => $"Rollout:Analysis:ErrorRateFloor must be in [0, 1) (was {f})",
        { MaxLatencyRatio: var r } when !(r >= 1) => $"Rollout:Analysis:MaxLatencyRatio must be at least 1 (was {r})",
        { LatencyFloor: var l } when l < TimeSpan.Zero => $"Rollout:Analysis:LatencyFloor must not be negative (was {l})",
        { QualityPrompts: var q } when q.Any(string.IsNullOrWhiteSpace) => "Rollout:Analysis:QualityPrompts: a prompt is empty",
        { MaxQualityRegression: var r } when !(r is >= 0 and <= 10) => $"Rollout:Analysis:MaxQualityRegression must be in [0, 10] (was {r})",
        { QualitySamples: var n } when n is < 1 or > 1000 => $"Rollout:Analysis:QualitySamples must be between 1 and 1000 (was {n})",
        _ => null,
    };
}

/// <summary>Canary analysis, bound from <c>Rollout:Analysis</c>: the new deployment's error rate and p95 latency
/// against the current one's, read every <see cref="Interval"/> of a bake, and its loss on the model's fixed texts against
/// the current one's (see <see cref="AnalysisPolicy"/>).</summary>
public sealed class RolloutAnalysisOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    public int MinRequests { get; set; } = 20;

    public double MaxErrorRateRatio { get; set; } = 2;

    public double ErrorRateFloor { get; set; } = 0.02;

    public double MaxLatencyRatio { get; set; } = 1.5;

    public TimeSpan LatencyFloor { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Texts of the quality probe for a model with no fixed evaluation set (a model's own set comes first). Empty
    /// on purpose (the binder appends to a list that has items): empty means <see cref="RolloutOptions.ProbePrompt"/>.</summary>
    public List<string> QualityPrompts { get; set; } = [];

    /// <summary>How much worse (relative bits per byte over the probe texts) the new deployment may be than the current one.</summary>
    public double MaxQualityRegression { get; set; } = AnalysisPolicy.DefaultMaxQualityRegression;

    /// <summary>How many texts of the model's fixed evaluation set the quality probe scores (the first ones, in order).</summary>
    public int QualitySamples { get; set; } = AnalysisPolicy.DefaultQualitySamples;
}
