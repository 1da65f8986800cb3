using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

public class CanaryJudgeTests
{
    private static readonly AnalysisPolicy Policy = new(TimeSpan.FromSeconds(1), 20, 2, 0.02, 1.5, TimeSpan.FromMilliseconds(100), ["q"]);

    [Theory]
    [InlineData(19, 19, 900.0, CanaryOutcome.Inconclusive)] // not enough requests for a verdict, however bad
    [InlineData(100, 2, 50.0, CanaryOutcome.Pass)]          // 2 % is at the floor
    [InlineData(100, 3, 50.0, CanaryOutcome.Fail)]          // 3 % above the floor, the baseline has none
    [InlineData(100, 0, 99.0, CanaryOutcome.Pass)]          // under the latency floor
    [InlineData(100, 0, 101.0, CanaryOutcome.Fail)]         // over it, no baseline to compare with
    public void Judge_NoBaseline_OnlyFloorsApply(long requests, long errors, double p95, CanaryOutcome expected) =>
        Assert.Equal(expected, CanaryJudge.Judge(new DeploymentMetrics("new", requests, errors, p95), null, Policy).Outcome);

    [Theory]
    [InlineData(100, 10, 50.0, CanaryOutcome.Pass)]   // 10 % against the current 5 %: twice, the limit
    [InlineData(100, 11, 50.0, CanaryOutcome.Fail)]   // 11 %: above twice
    [InlineData(100, 0, 300.0, CanaryOutcome.Pass)]   // 1.5 × 200 ms
    [InlineData(100, 0, 301.0, CanaryOutcome.Fail)]
    public void Judge_BaselineWithEnoughRequests_RelativeThresholds(long requests, long errors, double p95, CanaryOutcome expected) =>
        Assert.Equal(expected, CanaryJudge.Judge(new DeploymentMetrics("new", requests, errors, p95), new DeploymentMetrics("old", 1000, 50, 200), Policy).Outcome);

    [Fact]
    public void Judge_BaselineWithTooFewRequests_IsNotComparedWith()
    {
        CanaryVerdict verdict = CanaryJudge.Judge(new DeploymentMetrics("new", 100, 10, 50), new DeploymentMetrics("old", 5, 5, 900), Policy);

        Assert.Equal(CanaryOutcome.Fail, verdict.Outcome);
        Assert.Equal("error rate of new is 10.0% (10 of 100), above 2.0% (the floor)", verdict.Reason);
    }
}
