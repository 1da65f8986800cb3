using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data.Dedup;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Pipeline;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Data;

/// <summary>Streams a run's dropped files, curates them and writes shards, a manifest, a data card, the list of
/// dropped records and the quarantine, through an <see cref="IDataStore"/> (blob storage, or a folder for
/// <c>genai curate</c>).</summary>
/// <remarks>Idempotent: every output has a fixed name under the run's prefix and is overwritten on a retry.</remarks>
public static partial class DataStage
{
    public const string ToolVersion = "genai-curate/0.2";

    static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    static readonly JsonSerializerOptions Jsonl = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    public static async Task<DataPrepResult> RunAsync(IDataStore store, DataPrepInput input, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(logger);
        string prefix = $"{input.Model}/{input.RunId}/";
        var curator = new RecordCurator(input.Policy.ValidationFraction, input.Policy.TestFraction, input.Policy.MaxRecordChars, DataQualityPresets.Create(input.Policy.QualityPreset));
        var writer = new ShardWriter(store, prefix, input.Policy.ShardRecords);
        var kept = new List<CuratedRecord>();
        var rejectedLines = new StringBuilder();
        var droppedLines = new StringBuilder();
        var reasons = new Dictionary<string, long>(StringComparer.Ordinal);
        var quarantinedFiles = new List<string>();
        var inputs = new List<object>();
        long quarantinedRecords = 0;

        foreach (DropBlob drop in input.Drops)
        {
            string file = store.InputName(drop);
            inputs.Add(new { blob = file, etag = drop.ETag, bytes = drop.Length });
            RejectedFile? bad;
            var fileRejects = new List<RejectedRecord>();
            if (drop.Length == 0)
            {
                bad = new RejectedFile(file, "empty file (0 bytes)");
            }
            else
            {
                Stream stream = await store.OpenInputAsync(drop, cancellationToken);
                await using (stream)
                {
                    // JSONL (plain or gzip), CSV or Parquet, by the file's name; a bad file surfaces as its reason.
                    bad = await curator.CurateFileAsync(file, InputReader.ReadAsync(file, stream, null, cancellationToken), kept.Add, fileRejects.Add, (dup, of) =>
                        droppedLines.AppendLine(JsonSerializer.Serialize(new { id = dup.Id, source = dup.Source, rule = "exact_duplicate", duplicateOf = of }, Jsonl)),
                        (record, decision) => droppedLines.AppendLine(JsonSerializer.Serialize(new { id = record.Id, source = record.Source, rule = decision.Rule, detail = decision.Detail }, Jsonl)));
                }
            }

            if (bad is not null)
            {
                // The whole file goes to quarantine as it was, with its reason beside it; its lines are not listed one by one.
                quarantinedFiles.Add($"{file}: {bad.Reason}");
                reasons["bad_file"] = reasons.GetValueOrDefault("bad_file") + 1;
                string target = $"{input.Model}/{input.RunId}/files/{Path.GetFileName(drop.BlobName)}";
                if (drop.Length > 0)
                {
                    await store.CopyInputAsync(drop, PipelineStorage.Quarantine, target, cancellationToken);
                }

                await store.WriteAsync(PipelineStorage.Quarantine, target + ".reason.txt", BinaryData.FromString($"{file}\n{bad.Reason}\n"), cancellationToken);
                Log.FileQuarantined(logger, file, bad.Reason);
                continue;
            }

            foreach (RejectedRecord r in fileRejects)
            {
                quarantinedRecords++;
                reasons[r.Reason] = reasons.GetValueOrDefault(r.Reason) + 1;
                rejectedLines.AppendLine(JsonSerializer.Serialize(r, Jsonl));
            }
        }

        // Near duplicates, across the whole drop and against everything curated for the model before.
        NearDuplicateOutcome near = await NearDuplicateStep.RunAsync(store, input.Model, input.RunId, kept, cancellationToken);
        var nearDropped = near.Dropped.ToDictionary(d => d.Id, StringComparer.Ordinal);
        foreach (CuratedRecord record in kept)
        {
            if (nearDropped.TryGetValue(NearDuplicateStep.Key(record, input.RunId), out NearDuplicate? dup))
            {
                droppedLines.AppendLine(JsonSerializer.Serialize(
                    new { id = record.Id, source = record.Source, rule = "near_duplicate", duplicateOf = dup.DuplicateOf, estimatedJaccard = Math.Round(dup.EstimatedJaccard, 3) }, Jsonl));
            }
            else
            {
                writer.Add(record);
            }
        }

        IReadOnlyList<ShardInfo> shards = await writer.CompleteAsync(cancellationToken);
        if (rejectedLines.Length > 0)
        {
            await store.WriteAsync(PipelineStorage.Quarantine, $"{input.Model}/{input.RunId}/records.jsonl", BinaryData.FromString(rejectedLines.ToString()), cancellationToken);
        }

        if (droppedLines.Length > 0)
        {
            await store.WriteAsync(PipelineStorage.Curated, prefix + "dropped.jsonl", BinaryData.FromString(droppedLines.ToString()), cancellationToken);
        }

        var manifest = new
        {
            model = input.Model,
            runId = input.RunId,
            tool = ToolVersion,
            parameters = input.Policy,
            inputs,
            counts = new
            {
                read = curator.RecordsRead,
                curated = writer.Count,
                quarantined = quarantinedRecords,
                exactDuplicates = curator.ExactDuplicates,
                nearDuplicates = near.Dropped.Count,
                filtered = curator.FilteredByRule.Values.Sum(),
                train = writer.CountOf(DataSplit.Train),
                validation = writer.CountOf(DataSplit.Validation),
                test = writer.CountOf(DataSplit.Test),
            },
            rejectReasons = reasons,
            filteredByRule = curator.FilteredByRule,
            piiRedacted = new
            {
                email = curator.Pii.Email,
                phone = curator.Pii.Phone,
                card = curator.Pii.Card,
                iban = curator.Pii.Iban,
                ip = curator.Pii.Ip,
                nationalId = curator.Pii.NationalId,
                secret = curator.Pii.Secret,
            },
            quarantinedFiles,
            outputs = shards,
        };
        byte[] manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Indented);
        string manifestBlob = prefix + "manifest.json";
        await store.WriteAsync(PipelineStorage.Curated, manifestBlob, new BinaryData(manifestBytes), cancellationToken);
        await store.WriteAsync(PipelineStorage.Curated, prefix + "datacard.md", BinaryData.FromString(DataCard.Render(input, curator, writer, near.Dropped.Count, quarantinedRecords, reasons, quarantinedFiles, shards)), cancellationToken);
        Log.Curated(logger, input.Model, input.RunId, writer.Count, quarantinedRecords, curator.ExactDuplicates);

        return new DataPrepResult(
            $"{PipelineStorage.Curated}/{prefix}",
            $"{PipelineStorage.Curated}/{manifestBlob}",
            Convert.ToHexStringLower(SHA256.HashData(manifestBytes)),
            curator.RecordsRead,
            writer.Count,
            quarantinedRecords,
            curator.ExactDuplicates,
            writer.CountOf(DataSplit.Train),
            writer.CountOf(DataSplit.Validation),
            writer.CountOf(DataSplit.Test),
            quarantinedFiles,
            reasons,
            near.Dropped.Count,
            curator.FilteredByRule.Values.Sum());
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Quarantined {File}: {Reason}")]
        public static partial void FileQuarantined(ILogger logger, string file, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Curated {Model}/{RunId}: {Curated} records kept, {Quarantined} quarantined, {Duplicates} exact duplicates dropped")]
        public static partial void Curated(ILogger logger, string model, string runId, long curated, long quarantined, long duplicates);
    }
}

/// <summary>One curated output shard: its blob, record count and SHA-256.</summary>
public sealed record ShardInfo(string Blob, DataSplit Split, int Records, string Sha256);

/// <summary>Buffers curated records per split and uploads fixed-size shards with deterministic names.</summary>
sealed class ShardWriter(IDataStore store, string prefix, int shardRecords)
{
    // Relaxed escaping keeps placeholders like <EMAIL> readable in the shards; the output is still valid JSON.
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    readonly Dictionary<DataSplit, List<CuratedRecord>> buffers = new() { [DataSplit.Train] = [], [DataSplit.Validation] = [], [DataSplit.Test] = [] };
    readonly Dictionary<DataSplit, int> counts = new() { [DataSplit.Train] = 0, [DataSplit.Validation] = 0, [DataSplit.Test] = 0 };
    readonly Dictionary<DataSplit, int> shardIndex = new() { [DataSplit.Train] = 0, [DataSplit.Validation] = 0, [DataSplit.Test] = 0 };
    readonly List<ShardInfo> shards = [];
    readonly List<Task> uploads = [];

    public long Count { get; private set; }

    public int CountOf(DataSplit split) => counts[split];

    public void Add(CuratedRecord record)
    {
        Count++;
        counts[record.Split]++;
        List<CuratedRecord> buffer = buffers[record.Split];
        buffer.Add(record);
        if (buffer.Count >= shardRecords)
        {
            Flush(record.Split);
        }
    }

    void Flush(DataSplit split)
    {
        List<CuratedRecord> buffer = buffers[split];
        var sb = new StringBuilder();
        foreach (CuratedRecord r in buffer)
        {
            sb.AppendLine(JsonSerializer.Serialize(new { id = r.Id, text = r.Text, prompt = r.Prompt, response = r.Response, source = r.Source }, Json));
        }

        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        string name = $"{prefix}{split.ToString().ToLowerInvariant()}-{shardIndex[split]++:D5}.jsonl";
        shards.Add(new ShardInfo($"{PipelineStorage.Curated}/{name}", split, buffer.Count, Convert.ToHexStringLower(SHA256.HashData(bytes))));
        uploads.Add(store.WriteAsync(PipelineStorage.Curated, name, new BinaryData(bytes), CancellationToken.None));
        buffer.Clear();
    }

    public async Task<IReadOnlyList<ShardInfo>> CompleteAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        foreach (DataSplit split in buffers.Keys.ToList())
        {
            if (buffers[split].Count > 0)
            {
                Flush(split);
            }
        }

        await Task.WhenAll(uploads);
        return shards;
    }
}
