using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Evaluation;

/// <summary>Wires the evaluation gate: its options and its activities. The host (the pipeline's composition) adds the
/// <see cref="IGenerationSafety"/> the gate judges generations with.</summary>
public static class EvaluationServiceCollectionExtensions
{
    public static IServiceCollection AddEvaluationStage(this IServiceCollection services)
    {
        services.AddOptions<EvaluationOptions>().BindConfiguration("Evaluation").ValidateDataAnnotations()
            .Validate(o => o.Models.Values.All(m => System.ComponentModel.DataAnnotations.Validator.TryValidateObject(m, new(m), null, validateAllProperties: true)),
                "Evaluation:Models: a model's setting is out of range (see the Evaluation section's ranges)")
            .ValidateOnStart();
        return services;
    }

    public static DurableTaskRegistry AddEvaluationTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddActivity<PrepareEvaluationSet>()
            .AddActivity<JudgeChallenger>();
    }
}
