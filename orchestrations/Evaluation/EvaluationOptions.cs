using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Evaluation;

/// <summary>The evaluation gate. Bound from <c>Evaluation</c>.</summary>
public sealed class EvaluationOptions
{
    [Range(1.0, double.MaxValue)]
    public double MaxTestPerplexity { get; set; } = 500;

    [Range(0.0, 10.0)]
    public double MaxPerplexityRegression { get; set; } = 0.10;

    public bool RequireApproval { get; set; }

    /// <summary>How long a run waits at the gate for a human before it is rejected.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "14.00:00:00")]
    public TimeSpan ApprovalTimeout { get; set; } = TimeSpan.FromDays(1);
}
