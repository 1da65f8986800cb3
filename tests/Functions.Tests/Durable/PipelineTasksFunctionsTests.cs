using GenAiServerless.Evaluation;
using GenAiServerless.Functions.Durable;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Pipeline;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Training;
using Microsoft.DurableTask;

namespace GenAiServerless.Tests.Functions.Durable;

public sealed class PipelineTasksFunctionsTests
{
    [Fact]
    public async Task DecideGate_WithInput_RunsTheActivityClassAndReturnsItsDecision()
    {
        using var services = TestApp.Services();
        var context = new FakeFunctionContext(services, new Dictionary<string, object?> { ["instanceId"] = "tinylm-drop-1" });
        var metrics = new Dictionary<string, double> { [GateRules.TestPerplexityMetric] = 12.5 };
        var input = new GateInput("tinylm", metrics, null, new EvaluationPolicy(500, 0.1, false, TimeSpan.FromHours(1)));

        GateDecision decision = await PipelineTasksFunctions.DecideGate(input, context);

        Assert.Equal(GateRules.Decide(input), decision, GateDecisionComparer.Instance);
    }

    [Fact]
    public void For_WithInstanceIdInBindingData_CarriesNameAndInstanceId()
    {
        using var services = TestApp.Services();
        var context = new FakeFunctionContext(services, new Dictionary<string, object?> { ["instanceId"] = "tinylm-sched-202601010200" });

        FunctionActivityContext activity = FunctionActivityContext.For(nameof(SubmitJob), context);

        Assert.Equal(new TaskName(nameof(SubmitJob)), activity.Name);
        Assert.Equal("tinylm-sched-202601010200", activity.InstanceId);
    }

    [Fact]
    public void For_WithoutInstanceId_HasAnEmptyInstanceId()
    {
        using var services = TestApp.Services();

        FunctionActivityContext activity = FunctionActivityContext.For(nameof(SubmitJob), new FakeFunctionContext(services, new Dictionary<string, object?>()));

        Assert.Equal(string.Empty, activity.InstanceId);
    }

    /// <summary>Records hold a list of reasons, which compares by reference; compare the content instead.</summary>
    sealed class GateDecisionComparer : IEqualityComparer<GateDecision>
    {
        public static readonly GateDecisionComparer Instance = new();

        public bool Equals(GateDecision? x, GateDecision? y) =>
            x is not null && y is not null && x.Passed == y.Passed && x.TestPerplexity.Equals(y.TestPerplexity)
            && Nullable.Equals(x.ChampionPerplexity, y.ChampionPerplexity) && x.Reasons.SequenceEqual(y.Reasons);

        public int GetHashCode(GateDecision obj) => obj.Passed.GetHashCode();
    }
}
