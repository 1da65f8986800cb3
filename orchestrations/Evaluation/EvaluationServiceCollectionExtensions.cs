using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Evaluation;

/// <summary>Wires the evaluation gate: its options and its activity.</summary>
public static class EvaluationServiceCollectionExtensions
{
    public static IServiceCollection AddEvaluationStage(this IServiceCollection services)
    {
        services.AddOptions<EvaluationOptions>().BindConfiguration("Evaluation").ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    public static DurableTaskRegistry AddEvaluationTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.AddActivity<DecideGate>();
    }
}
