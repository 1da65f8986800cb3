namespace GenAiServerless.Data;

/// <summary>The Data stage's steps. <see cref="DataPrepFlow"/> runs them in their one order; the orchestration runs
/// each as activities fanned out over Functions instances, <see cref="DataStage"/> runs them in one process.</summary>
public interface IDataPrepSteps
{
    Task<DataShardPlan> PlanAsync(DataPrepInput input);

    /// <summary>Curates every shard; the results come back in shard order.</summary>
    Task<IReadOnlyList<DataShardResult>> CurateAsync(IReadOnlyList<DataShardTask> shards);

    Task<DataDedupResult> DeduplicateAsync(DataDedupTask task);

    /// <summary>Writes the curated files of every shard; the results come back in shard order.</summary>
    Task<IReadOnlyList<WrittenShard>> WriteAsync(IReadOnlyList<DataShardTask> shards);

    Task<DataPrepResult> WriteManifestAsync(DataManifestTask task);

    Task CleanAsync(DataPrepInput input);
}

/// <summary>The order of the Data stage, written once: plan the shards, curate them (fan-out), deduplicate across the
/// drop (fan-in), write the curated files of the good files (fan-out), write the manifest, remove the working files.</summary>
/// <remarks>Pure control flow over <see cref="IDataPrepSteps"/>, so it may run inside an orchestrator.</remarks>
public static class DataPrepFlow
{
    public static async Task<DataPrepResult> RunAsync(IDataPrepSteps steps, DataPrepInput input)
    {
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(input);
        DataShardPlan plan = await steps.PlanAsync(input);

        // A shard's step needs its own file only: the drop's file list would make each input, and the history, grow
        // with the number of files.
        DataPrepInput shardInput = DataShardTask.InputFor(input);
        IReadOnlyList<DataShardResult> results = await steps.CurateAsync([.. plan.Shards.Select(s => new DataShardTask(shardInput, s))]);
        DataDedupResult dedup = await steps.DeduplicateAsync(new DataDedupTask(input, plan, results));
        SortedDictionary<int, string> badFiles = DataShardOutcomes.BadFiles(plan, results);
        IReadOnlyList<WrittenShard> written = await steps.WriteAsync(
            [.. plan.Shards.Where(s => !badFiles.ContainsKey(s.FileIndex)).Select(s => new DataShardTask(shardInput, s))]);
        DataPrepResult result = await steps.WriteManifestAsync(new DataManifestTask(input, plan, results, dedup, written));
        await steps.CleanAsync(input);
        return result;
    }
}
