using GenAiServerless.Evaluation;

namespace GenAiServerless.Tests.Orchestrations.Evaluation;

public class GateRulesTests
{
    private static readonly EvaluationPolicy Policy = new(MaxTestPerplexity: 100, MaxPerplexityRegression: 0.10, RequireApproval: false, ApprovalTimeout: TimeSpan.FromHours(1));

    private static Dictionary<string, double> Evaluation(params (string Name, double Value)[] metrics) =>
        metrics.ToDictionary(m => m.Name, m => m.Value);

    private static ChampionMetrics Champion(double perplexity) =>
        new(3, new Dictionary<string, double> { [GateRules.TestPerplexityMetric] = perplexity });

    [Fact]
    public void Decide_UnderThresholdNoChampion_Passes()
    {
        GateDecision decision = GateRules.Decide(new GateInput("shop", Evaluation((GateRules.TestPerplexityMetric, 42.0)), null, Policy));

        Assert.True(decision.Passed);
        Assert.Equal(42.0, decision.TestPerplexity);
        Assert.Null(decision.ChampionPerplexity);
        Assert.Contains(decision.Reasons, r => r.Contains("no champion", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_AboveThreshold_FailsNamingThreshold()
    {
        GateDecision decision = GateRules.Decide(new GateInput("shop", Evaluation((GateRules.TestPerplexityMetric, 150.0)), null, Policy));

        Assert.False(decision.Passed);
        Assert.Contains(decision.Reasons, r => r.Contains("above the threshold", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_RegressionBeyondAllowance_FailsNamingChampion()
    {
        // 50 × 1.10 = 55: 56 is under the absolute threshold but regresses too far on the champion.
        GateDecision decision = GateRules.Decide(new GateInput("shop", Evaluation((GateRules.TestPerplexityMetric, 56.0)), Champion(50.0), Policy));

        Assert.False(decision.Passed);
        Assert.Equal(50.0, decision.ChampionPerplexity);
        Assert.Contains(decision.Reasons, r => r.Contains("regresses on champion v3", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_RegressionWithinAllowance_Passes()
    {
        GateDecision decision = GateRules.Decide(new GateInput("shop", Evaluation((GateRules.TestPerplexityMetric, 54.0)), Champion(50.0), Policy));

        Assert.True(decision.Passed);
        Assert.Contains(decision.Reasons, r => r.Contains("of champion v3", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_MetricMissing_FailsNamingMetric()
    {
        GateDecision decision = GateRules.Decide(new GateInput("shop", Evaluation(("train_loss", 1.2)), Champion(50.0), Policy));

        Assert.False(decision.Passed);
        Assert.True(double.IsNaN(decision.TestPerplexity));
        Assert.Contains(GateRules.TestPerplexityMetric, Assert.Single(decision.Reasons), StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_MetricIsNaN_Fails()
    {
        GateDecision decision = GateRules.Decide(new GateInput("shop", Evaluation((GateRules.TestPerplexityMetric, double.NaN)), null, Policy));

        Assert.False(decision.Passed);
    }
}
