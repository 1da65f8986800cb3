using GenAiServerless.Pipeline;
using Microsoft.DurableTask;

namespace GenAiServerless.Data;

/// <summary>The Data stage as a sub-orchestration: plan the shards, curate them in parallel activities, deduplicate in
/// one fan-in activity, write the curated files in parallel, then the manifest; the working files are removed last.</summary>
/// <remarks>Every activity is short and bounded (one shard, or the fan-in over signatures), so none comes near the
/// engine's visibility timeout however large the drop; on Azure the fan-out spreads over Functions instances.</remarks>
[DurableTask(nameof(DataPrepOrchestrator))]
public sealed class DataPrepOrchestrator : TaskOrchestrator<DataPrepInput, DataPrepResult>
{
    public override async Task<DataPrepResult> RunAsync(TaskOrchestrationContext context, DataPrepInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        DataShardPlan plan = await context.CallActivityAsync<DataShardPlan>(nameof(PlanDataShards), input, PipelineRetry.Activity);

        // A shard's activity needs its own file only: the drop's file list would make each input, and the history, grow
        // with the number of files.
        DataPrepInput shardInput = DataShardTask.InputFor(input);
        DataShardResult[] results = await Task.WhenAll(plan.Shards.Select(shard =>
            context.CallActivityAsync<DataShardResult>(nameof(CurateDataShard), new DataShardTask(shardInput, shard), PipelineRetry.Activity)));
        DataDedupResult dedup = await context.CallActivityAsync<DataDedupResult>(nameof(DeduplicateDataDrop), new DataDedupTask(input, plan, results), PipelineRetry.Activity);
        SortedDictionary<int, string> badFiles = DataShardOutcomes.BadFiles(plan, results);
        WrittenShard[] written = await Task.WhenAll(plan.Shards.Where(s => !badFiles.ContainsKey(s.FileIndex)).Select(shard =>
            context.CallActivityAsync<WrittenShard>(nameof(WriteCuratedShard), new DataShardTask(shardInput, shard), PipelineRetry.Activity)));
        DataPrepResult result = await context.CallActivityAsync<DataPrepResult>(
            nameof(WriteDataManifest), new DataManifestTask(input, plan, results, dedup, written), PipelineRetry.Activity);
        await context.CallActivityAsync<bool>(nameof(CleanDataWork), input, PipelineRetry.Activity);
        return result;
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

/// <summary>Deletes the run's working files once the manifest is written, and any fan-in scratch files an interrupted
/// attempt left on this machine.</summary>
[DurableTask(nameof(CleanDataWork))]
public sealed class CleanDataWork(PipelineStorage storage) : TaskActivity<DataPrepInput, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, DataPrepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await new BlobDataStore(storage).DeletePrefixAsync(PipelineStorage.Curated, WorkFiles.Folder(input), CancellationToken.None);
        DropDeduplicator.DeleteScratch(input);
        return true;
    }
}
