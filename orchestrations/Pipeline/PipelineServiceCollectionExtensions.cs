using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using GenAiServerless.Triggers;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Pipeline;

/// <summary>Wires the pipeline once, for every host.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>Options (validated at start-up), the registry and the price catalog. The host adds storage clients
    /// (<c>BlobServiceClient</c>, <c>QueueServiceClient</c>), a job backend (<c>AddLocalJobBackend</c> or
    /// <c>AddAzureMlJobBackend</c>), an <see cref="IEndpointHost"/>
    /// and the <see cref="PipelineStarter"/>: a singleton where the host has one durable client (local), one per call
    /// around the client a trigger binds (Functions).</summary>
    public static IServiceCollection AddPipelineServices(this IServiceCollection services)
    {
        services.AddOptions<PipelineOptions>().BindConfiguration("Pipeline")
            .PostConfigure<Microsoft.Extensions.Configuration.IConfiguration>((o, config) =>
            {
                // App settings cannot hold arrays: Pipeline__Models may also be one comma-separated value.
                if (config["Pipeline:Models"] is { Length: > 0 } list)
                {
                    o.Models = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
                }
            })
            .ValidateDataAnnotations()
            .Validate(o => !o.InvalidNames().Any(), "Pipeline:Models: model names must be lower-case letters, digits and dashes (at most 31 characters)")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DataOptions>, DataOptionsValidator>();
        services.AddOptions<DataOptions>().BindConfiguration("Data").ValidateDataAnnotations()
            .Validate(o => DataQualityPresets.All.Contains(o.QualityPreset), $"Data:QualityPreset: use one of {string.Join(", ", DataQualityPresets.All)}")
            .ValidateOnStart();
        services.AddOptions<TrainingOptions>().BindConfiguration("Training").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EvaluationOptions>().BindConfiguration("Evaluation").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RolloutOptions>().BindConfiguration("Rollout").ValidateDataAnnotations()
            .Validate(o => o.TrafficSteps.All(p => p is > 0 and <= 100) && o.TrafficSteps[^1] == 100, "Rollout:TrafficSteps: each step is 1–100 and the last is 100")
            .ValidateOnStart();
        services.AddOptions<ScheduleOptions>().BindConfiguration("Schedule").ValidateDataAnnotations()
            .Validate(o => Cronos.CronExpression.TryParse(o.RetrainCron, Cronos.CronFormat.IncludeSeconds, out _), "Schedule:RetrainCron: not a six-field cron expression")
            .ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PipelineStorage>();
        services.AddSingleton(_ => PriceCatalog.LoadSnapshot());
        services.AddSingleton<IModelRegistry, BlobModelRegistry>();
        services.AddSingleton<PipelineRequestFactory>();
        return services;
    }

    /// <summary>Registers every orchestrator and activity of the pipeline with a Durable Task worker.</summary>
    public static DurableTaskRegistry AddPipelineTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<ModelPipelineOrchestrator>()
            .AddOrchestrator<JobRunOrchestrator>()
            .AddOrchestrator<RolloutOrchestrator>()
            .AddOrchestrator<DataPrepOrchestrator>()
            .AddActivity<ClaimModelSlot>()
            .AddActivity<ReleaseModelSlot>()
            .AddActivity<PlanDataShards>()
            .AddActivity<CurateDataShard>()
            .AddActivity<DeduplicateDataDrop>()
            .AddActivity<WriteCuratedShard>()
            .AddActivity<WriteDataManifest>()
            .AddActivity<CleanDataWork>()
            .AddActivity<ListCuratedDatasets>()
            .AddActivity<SelectTrainingCompute>()
            .AddActivity<PlanPriceWindow>()
            .AddActivity<SubmitJob>()
            .AddActivity<GetJobStatus>()
            .AddActivity<ReadJobMetrics>()
            .AddActivity<ResolveJobOutput>()
            .AddActivity<CancelJob>()
            .AddActivity<DecideGate>()
            .AddActivity<RegisterModelVersion>()
            .AddActivity<SetModelAlias>()
            .AddActivity<GetModelVersion>()
            .AddActivity<GetEndpoint>()
            .AddActivity<CreateDeployment>()
            .AddActivity<ShiftTraffic>()
            .AddActivity<DeleteDeployment>()
            .AddActivity<ProbeEndpoint>();
    }
}
