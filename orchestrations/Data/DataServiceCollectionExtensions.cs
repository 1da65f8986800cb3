using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Data;

/// <summary>Wires the Data stage: its options (validated at start-up, each failure naming its key) and its tasks.</summary>
public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddDataStage(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<DataOptions>, DataOptionsValidator>();
        services.AddOptions<DataOptions>().BindConfiguration("Data").ValidateDataAnnotations()
            .Validate(o => DataQualityPresets.All.Contains(o.QualityPreset), $"Data:QualityPreset: use one of {string.Join(", ", DataQualityPresets.All)}")
            .ValidateOnStart();
        return services;
    }

    public static DurableTaskRegistry AddDataTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<DataPrepOrchestrator>()
            .AddActivity<PlanDataShards>()
            .AddActivity<CurateDataShard>()
            .AddActivity<DeduplicateDataDrop>()
            .AddActivity<WriteCuratedShard>()
            .AddActivity<WriteDataManifest>()
            .AddActivity<CleanDataWork>()
            .AddActivity<ListCuratedDatasets>();
    }
}
