using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Training;

/// <summary>Wires the Training stage: its options, the price snapshot and its tasks. The host adds a job backend
/// (<c>AddAzureMlJobBackend</c>, or the local host's process backend) and the spot price history that comes with it.</summary>
public static class TrainingServiceCollectionExtensions
{
    public static IServiceCollection AddTrainingStage(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<TrainingOptions>, TrainingOptionsValidator>();
        services.AddOptions<TrainingOptions>().BindConfiguration("Training").ValidateDataAnnotations()
            .Validate(o => o.PollInterval <= o.MaxPollInterval, "Training:PollInterval must not be longer than Training:MaxPollInterval")
            .ValidateOnStart();
        services.AddSingleton(_ => PriceCatalog.LoadSnapshot());
        return services;
    }

    public static DurableTaskRegistry AddTrainingTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<JobRunOrchestrator>()
            .AddActivity<SelectTrainingCompute>()
            .AddActivity<PlanPriceWindow>()
            .AddActivity<SubmitJob>()
            .AddActivity<GetJobStatus>()
            .AddActivity<ReadJobMetrics>()
            .AddActivity<ResolveJobOutput>()
            .AddActivity<CancelJob>();
    }
}
