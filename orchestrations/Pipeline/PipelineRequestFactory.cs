using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Pipeline;

/// <summary>Turns configuration into the policies a request carries, so orchestrators never read options.</summary>
public sealed class PipelineRequestFactory(
    IOptions<DataOptions> data,
    IOptions<TrainingOptions> training,
    IOptions<EvaluationOptions> evaluation,
    IOptions<RolloutOptions> rollout)
{
    public PipelineRequest Create(string model, PipelineTrigger trigger, IReadOnlyList<DropBlob> drops, string reason) =>
        new(model, trigger, drops, Data(model), Training(model), Evaluation(model), Rollout(), reason);

    /// <summary>The data policy for <paramref name="model"/>: the <c>Data</c> section with the model's own settings
    /// (<c>Data:Models:{model}</c>) over it.</summary>
    public DataPolicy Data(string model) => DataPolicies.For(data.Value, model);

    public TrainingPolicy Training(string model)
    {
        TrainingOptions t = training.Value;
        var compute = new ComputeRequirements(
            string.IsNullOrWhiteSpace(t.GpuType) ? null : t.GpuType, t.MinGpuMemoryGb, t.GpuCount, t.AllowedRegions, t.ExpectedDuration,
            t.CheckpointInterval, t.RestartOverhead, t.Deadline, t.BudgetUsd, t.AllowSpot);
        return new TrainingPolicy(compute, t.HyperparametersOf(model), t.RestartBudget, t.PollInterval, t.MaxPollInterval,
            t.FallbackToDedicated, t.MaxPriceWait, t.MinPriceSaving, t.ComponentOf(model));
    }

    /// <summary>The gate policy for <paramref name="model"/> (<c>Evaluation</c>, with <c>Evaluation:Models:{model}</c> over it).</summary>
    public EvaluationPolicy Evaluation(string model) => evaluation.Value.PolicyFor(model);

    public RolloutPolicy Rollout()
    {
        RolloutOptions r = rollout.Value;
        return new RolloutPolicy([.. r.TrafficSteps], r.BakeTime, r.ReadinessTimeout, r.ReadinessPollInterval, r.ProbePrompt, r.AnalysisPolicy(), r.PromotionGrace);
    }
}
