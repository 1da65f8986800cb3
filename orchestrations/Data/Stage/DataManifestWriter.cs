using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data.Quality;
using GenAiServerless.Platform;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Data;

/// <summary>Everything the run accounts for, summed over its shards: what the manifest and the data card report.</summary>
public sealed record DataCounts(
    long Read,
    long Curated,
    long Quarantined,
    long ExactDuplicates,
    long NearDuplicates,
    IReadOnlyDictionary<string, long> FilteredByRule,
    int Train,
    int Validation,
    int Test,
    PiiCounts Pii,
    IReadOnlyDictionary<string, long> RejectReasons,
    IReadOnlyList<string> QuarantinedFiles,
    IReadOnlyList<ShardInfo> Outputs);

/// <summary>The last step: quarantines bad files whole, gathers the shards' quarantined and dropped records into the
/// run's <c>records.jsonl</c> and <c>dropped.jsonl</c>, and writes the manifest and the data card.</summary>
/// <remarks>Idempotent: every output has a fixed name and is rewritten on a retry.</remarks>
public static partial class DataManifestWriter
{
    public static async Task<DataPrepResult> RunAsync(IDataStore store, DataManifestTask task, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(logger);
        DataPrepInput input = task.Input;
        string prefix = $"{input.Model}/{input.RunId}/";
        SortedDictionary<int, string> badFiles = DataShardOutcomes.BadFiles(task.Plan, task.Shards);
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var quarantinedFiles = new List<string>();

        // A bad file keeps its name in the quarantine; bad files that share a name (a/part.jsonl, b/part.jsonl) keep
        // their whole path instead, so neither overwrites the other.
        var sharedNames = badFiles.Keys.GroupBy(i => Path.GetFileName(input.Drops[i].BlobName), StringComparer.Ordinal)
            .Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        foreach ((int fileIndex, string reason) in badFiles)
        {
            // The whole file goes to quarantine as it was, with its reason beside it; its lines are not listed one by one.
            DropBlob drop = input.Drops[fileIndex];
            string file = store.InputName(drop);
            quarantinedFiles.Add($"{file}: {reason}");
            reasons["bad_file"] = reasons.GetValueOrDefault("bad_file") + 1;
            string name = Path.GetFileName(drop.BlobName);
            string target = $"{prefix}files/{(sharedNames.Contains(name) ? drop.BlobName.TrimStart('/') : name)}";
            if (drop.Length > 0)
            {
                await store.CopyInputAsync(drop, PipelineStorage.Quarantine, target, cancellationToken);
            }

            await store.WriteAsync(PipelineStorage.Quarantine, target + ".reason.txt", BinaryData.FromString($"{file}\n{reason}\n"), cancellationToken);
            Log.FileQuarantined(logger, file, reason);
        }

        List<DataShardResult> good = [.. task.Shards.Where(r => !badFiles.ContainsKey(r.FileIndex)).OrderBy(r => r.Index)];
        var filtered = new SortedDictionary<string, long>(StringComparer.Ordinal);
        PiiCounts pii = default;
        foreach (DataShardResult shard in good)
        {
            pii += shard.Pii;
            foreach ((string reason, long n) in shard.Rejected)
            {
                reasons[reason] = reasons.GetValueOrDefault(reason) + n;
            }

            foreach ((string rule, long n) in shard.Filtered)
            {
                filtered[rule] = filtered.GetValueOrDefault(rule) + n;
            }
        }

        long quarantined = good.Sum(s => s.Rejected.Values.Sum());
        if (quarantined > 0)
        {
            await ConcatenateAsync(store, PipelineStorage.Quarantine, $"{prefix}records.jsonl", good.Select(s => WorkFiles.Of(input, s.Index, WorkFiles.Rejects)), cancellationToken);
        }

        if (good.Sum(s => s.Filtered.Values.Sum()) + task.Dedup.ExactDuplicates + task.Dedup.NearDuplicates > 0)
        {
            await ConcatenateAsync(store, PipelineStorage.Curated, $"{prefix}dropped.jsonl", good.SelectMany(s => new[]
            {
                WorkFiles.Of(input, s.Index, WorkFiles.Filtered),
                WorkFiles.Of(input, s.Index, WorkFiles.Duplicates),
            }), cancellationToken);
        }

        List<ShardInfo> outputs = [.. task.Written.OrderBy(w => w.Index).SelectMany(w => w.Outputs)];

        // Records are counted in the JSONL files; a Parquet twin holds the same rows again.
        int Of(DataSplit split) => outputs.Where(o => o.Split == split && o.Blob.EndsWith(".jsonl", StringComparison.Ordinal)).Sum(o => o.Records);
        var counts = new DataCounts(
            good.Sum(s => s.Records), (long)Of(DataSplit.Train) + Of(DataSplit.Validation) + Of(DataSplit.Test), quarantined, task.Dedup.ExactDuplicates, task.Dedup.NearDuplicates, filtered,
            Of(DataSplit.Train), Of(DataSplit.Validation), Of(DataSplit.Test), pii, reasons, quarantinedFiles, outputs);

        var manifest = new DataManifest(
            input.Model,
            input.RunId,
            DataStage.ToolVersion,
            input.Policy,
            [.. input.Drops.Select(d => new DataManifestInput(store.InputName(d), d.ETag, d.Length))],
            [.. task.Plan.Shards.Select(s => new DataManifestShard(s.Index, store.InputName(s.Drop), s.Offset, s.Length, s.FirstLine))],
            new DataManifestCounts(
                counts.Read, counts.Curated, counts.Quarantined, counts.ExactDuplicates, counts.NearDuplicates, filtered.Values.Sum(), counts.Train, counts.Validation, counts.Test),
            reasons,
            filtered,
            DataManifestPii.From(pii),
            new DataManifestNearDuplicates(task.Dedup.CandidatePairs, task.Dedup.VerifiedPairs, task.Dedup.ExactChecks, task.Dedup.IndexedRecords),
            quarantinedFiles,
            outputs);
        byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, DataJson.Indented.DataManifest);
        string manifestBlob = prefix + "manifest.json";
        await store.WriteAsync(PipelineStorage.Curated, manifestBlob, new BinaryData(manifestBytes), cancellationToken);
        await store.WriteAsync(PipelineStorage.Curated, prefix + "datacard.md", BinaryData.FromString(DataCard.Render(input, counts)), cancellationToken);

        // Only now does the model's near-duplicate index include this run: a run that failed earlier left it as it was.
        await NearDuplicateStep.PublishAsync(store, input.Model, input.RunId, cancellationToken);
        Log.Curated(logger, input.Model, input.RunId, counts.Curated, counts.Quarantined, counts.ExactDuplicates, counts.NearDuplicates, task.Plan.Shards.Count);

        return new DataPrepResult(
            $"{PipelineStorage.Curated}/{prefix}",
            $"{PipelineStorage.Curated}/{manifestBlob}",
            Convert.ToHexStringLower(SHA256.HashData(manifestBytes)),
            counts.Read,
            counts.Curated,
            counts.Quarantined,
            counts.ExactDuplicates,
            counts.Train,
            counts.Validation,
            counts.Test,
            quarantinedFiles,
            reasons,
            counts.NearDuplicates,
            filtered.Values.Sum());
    }

    /// <summary>Streams several working files, in order, into one output; a missing part is skipped.</summary>
    static async Task ConcatenateAsync(IDataStore store, string area, string path, IEnumerable<string> parts, CancellationToken cancellationToken)
    {
        Stream target = await store.OpenWriteAsync(area, path, cancellationToken);
        await using (target)
        {
            foreach (string part in parts)
            {
                Stream? source = await store.OpenReadAsync(PipelineStorage.Curated, part, cancellationToken);
                if (source is not null)
                {
                    await using (source)
                    {
                        await source.CopyToAsync(target, cancellationToken);
                    }
                }
            }
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined {File}: {Reason}")]
        public static partial void FileQuarantined(ILogger logger, string file, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Curated {Model}/{RunId}: {Curated} records kept, {Quarantined} quarantined, {Exact} exact and {Near} near duplicates dropped, {Shards} shards")]
        public static partial void Curated(ILogger logger, string model, string runId, long curated, long quarantined, long exact, long near, int shards);
    }
}
