using GenAiServerless.Platform;
using Microsoft.DurableTask;

namespace GenAiServerless.Data;

/// <summary>The Data stage as a sub-orchestration: plan the shards, curate them in parallel activities, deduplicate in
/// one fan-in activity, write the curated files in parallel, then the manifest; the working files are removed last.</summary>
/// <remarks>Every activity is short and bounded (one shard, or the fan-in over signatures), so none comes near the
/// engine's visibility timeout however large the drop; on Azure the fan-out spreads over Functions instances.</remarks>
[DurableTask(nameof(DataPrepOrchestrator))]
public sealed class DataPrepOrchestrator : TaskOrchestrator<DataPrepInput, DataPrepResult>
{
    public override Task<DataPrepResult> RunAsync(TaskOrchestrationContext context, DataPrepInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        return DataPrepFlow.RunAsync(new ActivitySteps(context), input);
    }

    /// <summary>Each step as an activity; the shard steps fanned out in parallel.</summary>
    sealed class ActivitySteps(TaskOrchestrationContext context) : IDataPrepSteps
    {
        public Task<DataShardPlan> PlanAsync(DataPrepInput input) =>
            context.CallActivityAsync<DataShardPlan>(nameof(PlanDataShards), input, PipelineRetry.Activity);

        public async Task<IReadOnlyList<DataShardResult>> CurateAsync(IReadOnlyList<DataShardTask> shards) =>
            await Task.WhenAll(shards.Select(task => context.CallActivityAsync<DataShardResult>(nameof(CurateDataShard), task, PipelineRetry.Activity)));

        public Task<DataDedupResult> DeduplicateAsync(DataDedupTask task) =>
            context.CallActivityAsync<DataDedupResult>(nameof(DeduplicateDataDrop), task, PipelineRetry.Activity);

        public async Task<IReadOnlyList<WrittenShard>> WriteAsync(IReadOnlyList<DataShardTask> shards) =>
            await Task.WhenAll(shards.Select(task => context.CallActivityAsync<WrittenShard>(nameof(WriteCuratedShard), task, PipelineRetry.Activity)));

        public Task<DataPrepResult> WriteManifestAsync(DataManifestTask task) =>
            context.CallActivityAsync<DataPrepResult>(nameof(WriteDataManifest), task, PipelineRetry.Activity);

        public Task CleanAsync(DataPrepInput input) =>
            context.CallActivityAsync<bool>(nameof(CleanDataWork), input, PipelineRetry.Activity);
    }
}

/// <summary>Cuts the drop into shards (<see cref="ShardPlanner"/>).</summary>
[DurableTask(nameof(PlanDataShards))]
public sealed class PlanDataShards(PipelineStorage storage) : TaskActivity<DataPrepInput, DataShardPlan>
{
    public override Task<DataShardPlan> RunAsync(TaskActivityContext context, DataPrepInput input) =>
        ShardPlanner.PlanAsync(new BlobDataStore(storage), input, CancellationToken.None);
}

/// <summary>Curates one shard into the run's working files (<see cref="ShardCurator"/>).</summary>
[DurableTask(nameof(CurateDataShard))]
public sealed class CurateDataShard(PipelineStorage storage) : TaskActivity<DataShardTask, DataShardResult>
{
    public override Task<DataShardResult> RunAsync(TaskActivityContext context, DataShardTask input) =>
        ShardCurator.RunAsync(new BlobDataStore(storage), input, CancellationToken.None);
}

/// <summary>Exact and near-duplicate removal across the drop and against the model's index (<see cref="DropDeduplicator"/>).</summary>
[DurableTask(nameof(DeduplicateDataDrop))]
public sealed class DeduplicateDataDrop(PipelineStorage storage) : TaskActivity<DataDedupTask, DataDedupResult>
{
    public override Task<DataDedupResult> RunAsync(TaskActivityContext context, DataDedupTask input) =>
        DropDeduplicator.RunAsync(new BlobDataStore(storage), input, Environment.ProcessorCount, CancellationToken.None);
}

/// <summary>Writes one shard's surviving records into the curated files (<see cref="CuratedShardWriter"/>).</summary>
[DurableTask(nameof(WriteCuratedShard))]
public sealed class WriteCuratedShard(PipelineStorage storage) : TaskActivity<DataShardTask, WrittenShard>
{
    public override Task<WrittenShard> RunAsync(TaskActivityContext context, DataShardTask input) =>
        CuratedShardWriter.RunAsync(new BlobDataStore(storage), input, CancellationToken.None);
}

/// <summary>Quarantines bad files and writes the manifest, the data card and the lists of dropped and quarantined records.</summary>
[DurableTask(nameof(WriteDataManifest))]
public sealed class WriteDataManifest(PipelineStorage storage, Microsoft.Extensions.Logging.ILogger<WriteDataManifest> logger) : TaskActivity<DataManifestTask, DataPrepResult>
{
    public override Task<DataPrepResult> RunAsync(TaskActivityContext context, DataManifestTask input) =>
        DataManifestWriter.RunAsync(new BlobDataStore(storage), input, logger, CancellationToken.None);
}

/// <summary>Deletes the run's working files once the manifest is written, any fan-in scratch files an interrupted attempt
/// left on this machine, and what the model's near-duplicate index no longer needs (<see cref="DataWorkCleaner"/>).</summary>
[DurableTask(nameof(CleanDataWork))]
public sealed class CleanDataWork(PipelineStorage storage, TimeProvider clock) : TaskActivity<DataPrepInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, DataPrepInput input)
    {
        await DataWorkCleaner.RunAsync(new BlobDataStore(storage), input, clock, CancellationToken.None);
        return true;
    }
}
