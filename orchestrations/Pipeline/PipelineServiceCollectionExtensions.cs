using Azure.Core;
using Cronos;
using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Platform;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Triggers;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Pipeline;

/// <summary>Wires the pipeline once, for every host: each stage wires itself, this adds what spans them.</summary>
public static class PipelineServiceCollectionExtensions
{
    /// <summary>Options (validated at start-up), the stages, the registry and the request factory. The host adds storage
    /// clients (<c>BlobServiceClient</c>, <c>QueueServiceClient</c>), a job backend, an <see cref="IEndpointHost"/> and the
    /// <see cref="PipelineStarter"/>: a singleton where the host has one durable client (local), one per call around the
    /// client a trigger binds (Functions).</summary>
    public static IServiceCollection AddPipelineServices(this IServiceCollection services)
    {
        services.AddOptions<PipelineOptions>().BindConfiguration("Pipeline")
            .PostConfigure<IConfiguration>((o, config) =>
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
        services.AddOptions<ScheduleOptions>().BindConfiguration("Schedule").ValidateDataAnnotations()
            .Validate(o => CronExpression.TryParse(o.RetrainCron, CronFormat.IncludeSeconds, out _), "Schedule:RetrainCron: not a six-field cron expression")
            .ValidateOnStart();

        services.AddOptions<DriftAlertOptions>().BindConfiguration("DriftAlerts")
            .Validate(o => o.Cooldown >= TimeSpan.Zero, "DriftAlerts:Cooldown: must not be negative (zero turns the storm guard off)")
            .ValidateOnStart();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PipelineStorage>();
        services
            .AddDataStage()
            .AddTrainingStage()
            .AddEvaluationStage()
            .AddModelRegistry()
            .AddRolloutStage();
        services.AddSingleton<IGenerationSafety, DataQualityGenerationSafety>();
        services.AddSingleton<PipelineRequestFactory>();
        services.AddSingleton<IRolloutAliases, RegistryRolloutAliases>();
        services.AddSingleton<IQualityProbeTexts, EvaluationSetProbeTexts>();
        return services;
    }

    /// <summary>The Azure ML adapters: command jobs (when <paramref name="jobs"/>), managed online endpoints (when
    /// <paramref name="endpoints"/>), and with either the registry mirrored into the workspace and the components folder
    /// (<c>Training:ComponentsFolder</c>) as the code asset both run from. One client, one credential.</summary>
    public static IServiceCollection AddAzureMl(this IServiceCollection services, TokenCredential credential, bool jobs = true, bool endpoints = true)
    {
        if (!jobs && !endpoints)
        {
            return services;
        }

        services.AddAzureMlClient(credential);
        services.TryAddSingleton(sp => new AzureMlCodeAsset(sp.GetRequiredService<AzureMlClient>(), sp.GetRequiredService<IOptions<TrainingOptions>>().Value.ComponentsFolder));
        services.AddAzureMlModelRegistry(credential);
        if (jobs)
        {
            services.AddAzureMlJobBackend(credential);
        }

        if (endpoints)
        {
            services.AddAzureMlEndpointHost(credential);
        }

        return services;
    }

    /// <summary>Registers every orchestrator and activity of the pipeline with a Durable Task worker.</summary>
    public static DurableTaskRegistry AddPipelineTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<ModelPipelineOrchestrator>()
            .AddOrchestrator<DeploymentOrchestrator>()
            .AddActivity<ClaimModelSlot>()
            .AddActivity<ReleaseModelSlot>()
            .AddDataTasks()
            .AddTrainingTasks()
            .AddEvaluationTasks()
            .AddRegistryTasks()
            .AddRolloutTasks();
    }
}
