using GenAiServerless.Pipeline;
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

    public static async Task<DataPrepResult> RunAsync(
        IDataStore store, DataPrepInput input, ILogger logger, CancellationToken cancellationToken, int threads = 1, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellationToken };

        DataShardPlan plan = await ShardPlanner.PlanAsync(store, input, cancellationToken);
        progress?.Invoke($"{input.Drops.Count} file(s) in {plan.Shards.Count} shard(s)");

        var results = new DataShardResult[plan.Shards.Count];
        int done = 0;
        await Parallel.ForEachAsync(plan.Shards, parallel, async (shard, ct) =>
        {
            results[shard.Index] = await ShardCurator.RunAsync(store, new DataShardTask(DataShardTask.InputFor(input), shard), ct);
            progress?.Invoke($"shard {Interlocked.Increment(ref done)}/{plan.Shards.Count} curated ({store.InputName(shard.Drop)}, {results[shard.Index].Records} records)");
        });

        DataDedupResult dedup = await DropDeduplicator.RunAsync(store, new DataDedupTask(input, plan, results), threads, cancellationToken);
        progress?.Invoke($"deduplicated: {dedup.ExactDuplicates} exact and {dedup.NearDuplicates} near duplicates ({dedup.CandidatePairs} candidate pairs, {dedup.ExactChecks} exact checks)");

        SortedDictionary<int, string> badFiles = DataShardOutcomes.BadFiles(plan, results);
        List<DataShard> good = [.. plan.Shards.Where(s => !badFiles.ContainsKey(s.FileIndex))];
        var written = new WrittenShard[good.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, good.Count), parallel, async (i, ct) =>
            written[i] = await CuratedShardWriter.RunAsync(store, new DataShardTask(DataShardTask.InputFor(input), good[i]), ct));

        DataPrepResult result = await DataManifestWriter.RunAsync(store, new DataManifestTask(input, plan, results, dedup, written), logger, cancellationToken);
        await store.DeletePrefixAsync(PipelineStorage.Curated, WorkFiles.Folder(input), cancellationToken);
        DropDeduplicator.DeleteScratch(input);
        return result;
    }
}
