using Microsoft.Extensions.Logging;

namespace GenAiServerless.Data;

/// <summary>The whole Data stage in one process — plan, curate shards (in parallel), deduplicate, write, manifest —
/// over an <see cref="IDataStore"/>: what <c>genai curate</c> and the benchmarks run. The pipeline runs the same steps as
/// activities, fanned out by <see cref="DataPrepOrchestrator"/>.</summary>
/// <remarks>Outputs do not depend on <c>threads</c>: shard results are gathered in shard order and duplicates are resolved
/// by (file, line). However the drop is sharded, the same records are curated, dropped and quarantined (file names and the
/// cut of records into files follow the shards).</remarks>
public static class DataStage
{
    public const string ToolVersion = "genai-curate/0.3";

    /// <param name="clock">What the index's retention is measured against; the system clock by default.</param>
    public static Task<DataPrepResult> RunAsync(
        IDataStore store, DataPrepInput input, ILogger logger, CancellationToken cancellationToken, int threads = 1, Action<string>? progress = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return DataPrepFlow.RunAsync(new InProcessSteps(store, logger, threads, progress, clock ?? TimeProvider.System, cancellationToken), input);
    }

    /// <summary>Each step called directly; the shard steps on up to <c>threads</c> threads, results kept in shard order.</summary>
    sealed class InProcessSteps(IDataStore store, ILogger logger, int threads, Action<string>? progress, TimeProvider clock, CancellationToken cancellationToken) : IDataPrepSteps
    {
        readonly ParallelOptions parallel = new() { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };
        int shardCount;

        public async Task<DataShardPlan> PlanAsync(DataPrepInput input)
        {
            DataShardPlan plan = await ShardPlanner.PlanAsync(store, input, cancellationToken);
            shardCount = plan.Shards.Count;
            progress?.Invoke($"{input.Drops.Count} file(s) in {plan.Shards.Count} shard(s)");
            return plan;
        }

        public async Task<IReadOnlyList<DataShardResult>> CurateAsync(IReadOnlyList<DataShardTask> shards)
        {
            var results = new DataShardResult[shards.Count];
            int done = 0;
            await Parallel.ForEachAsync(Enumerable.Range(0, shards.Count), parallel, async (i, ct) =>
            {
                results[i] = await ShardCurator.RunAsync(store, shards[i], ct);
                progress?.Invoke($"shard {Interlocked.Increment(ref done)}/{shardCount} curated ({store.InputName(shards[i].Shard.Drop)}, {results[i].Records} records)");
            });
            return results;
        }

        public async Task<DataDedupResult> DeduplicateAsync(DataDedupTask task)
        {
            DataDedupResult dedup = await DropDeduplicator.RunAsync(store, task, threads, cancellationToken);
            progress?.Invoke($"deduplicated: {dedup.ExactDuplicates} exact and {dedup.NearDuplicates} near duplicates ({dedup.CandidatePairs} candidate pairs, {dedup.ExactChecks} exact checks)");
            return dedup;
        }

        public async Task<IReadOnlyList<WrittenShard>> WriteAsync(IReadOnlyList<DataShardTask> shards)
        {
            var written = new WrittenShard[shards.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, shards.Count), parallel, async (i, ct) =>
                written[i] = await CuratedShardWriter.RunAsync(store, shards[i], ct));
            return written;
        }

        public Task<DataPrepResult> WriteManifestAsync(DataManifestTask task) => DataManifestWriter.RunAsync(store, task, logger, cancellationToken);

        public async Task CleanAsync(DataPrepInput input)
        {
            IReadOnlyList<string> collected = await DataWorkCleaner.RunAsync(store, input, clock, cancellationToken);
            if (collected.Count > 0)
            {
                progress?.Invoke($"near-duplicate index: {collected.Count} segment(s) and manifest(s) no longer needed were deleted");
            }
        }
    }
}
