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

    [Required]
    public string ProbePrompt { get; set; } = "the model";
}
