using Microsoft.DurableTask;

namespace GenAiServerless.Evaluation;

/// <summary>The gate a trained model must pass before it is registered.</summary>
public sealed record EvaluationPolicy(double MaxTestPerplexity, double MaxPerplexityRegression, bool RequireApproval, TimeSpan ApprovalTimeout);

/// <summary>The model in production that a challenger is compared with: its version and the metrics it was promoted on.</summary>
public sealed record ChampionMetrics(int Version, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Input of <see cref="DecideGate"/>: the challenger's evaluation metrics, the champion (if any) and the thresholds.</summary>
public sealed record GateInput(string Model, IReadOnlyDictionary<string, double> Metrics, ChampionMetrics? Champion, EvaluationPolicy Policy);

/// <summary>Whether a trained model may be registered, and why.</summary>
public sealed record GateDecision(bool Passed, double TestPerplexity, double? ChampionPerplexity, IReadOnlyList<string> Reasons);

/// <summary>Applies the gate: absolute thresholds, then champion/challenger comparison.</summary>
public static class GateRules
{
    public const string TestPerplexityMetric = "test_perplexity";

    public static GateDecision Decide(GateInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var reasons = new List<string>();
        if (!input.Metrics.TryGetValue(TestPerplexityMetric, out double ppl) || double.IsNaN(ppl))
        {
            return new GateDecision(false, double.NaN, null, [$"the evaluation job wrote no '{TestPerplexityMetric}' metric"]);
        }

        bool passed = true;
        if (ppl > input.Policy.MaxTestPerplexity)
        {
            passed = false;
            reasons.Add($"test perplexity {ppl:F2} is above the threshold {input.Policy.MaxTestPerplexity:F2}");
        }
        else
        {
            reasons.Add($"test perplexity {ppl:F2} ≤ threshold {input.Policy.MaxTestPerplexity:F2}");
        }

        double? championPpl = null;
        if (input.Champion is { } champion && champion.Metrics.TryGetValue(TestPerplexityMetric, out double c))
        {
            championPpl = c;
            double limit = c * (1 + input.Policy.MaxPerplexityRegression);
            if (ppl > limit)
            {
                passed = false;
                reasons.Add($"test perplexity {ppl:F2} regresses on champion v{champion.Version} ({c:F2}) by more than {input.Policy.MaxPerplexityRegression:P0}");
            }
            else
            {
                reasons.Add($"within {input.Policy.MaxPerplexityRegression:P0} of champion v{champion.Version} ({c:F2})");
            }
        }
        else
        {
            reasons.Add("no champion yet: absolute thresholds only");
        }

        return new GateDecision(passed, ppl, championPpl, reasons);
    }
}

/// <summary>The gate as an activity, so that its decision is recorded once in the history.</summary>
[DurableTask(nameof(DecideGate))]
public sealed class DecideGate : TaskActivity<GateInput, GateDecision>
{
    public override Task<GateDecision> RunAsync(TaskActivityContext context, GateInput input) => Task.FromResult(GateRules.Decide(input));
}
