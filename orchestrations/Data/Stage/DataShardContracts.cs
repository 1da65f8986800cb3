using GenAiServerless.Data.Inputs;
using GenAiServerless.Data.Quality;

namespace GenAiServerless.Data;

/// <summary>One unit of the fan-out: a whole dropped file, or a byte range of a large plain JSONL or CSV file that starts
/// and ends on record boundaries.</summary>
/// <param name="Index">The shard's place in the drop (file order, then byte order): names its working files.</param>
/// <param name="FileIndex">The file's place in the drop.</param>
/// <param name="Offset">The first byte of the range.</param>
/// <param name="Length">Bytes in the range (the whole file for a shard that is one).</param>
/// <param name="FirstLine">The file's line number of the range's first line.</param>
/// <param name="CsvHeader">For a CSV range after the first: the file's header line, read before the range.</param>
public sealed record DataShard(int Index, int FileIndex, DropBlob Drop, long Offset, long Length, long FirstLine, string? CsvHeader = null)
{
    public bool IsWholeFile => Offset == 0 && Length == Drop.Length;
}

/// <summary>The drop cut into shards, in order.</summary>
public sealed record DataShardPlan(IReadOnlyList<DataShard> Shards);

/// <summary>Input of the per-shard activities: the run (without its file list: the shard names its own file) and the shard.</summary>
public sealed record DataShardTask(DataPrepInput Input, DataShard Shard)
{
    /// <summary>The run's input as a shard activity gets it: model, run and policy, no file list.</summary>
    public static DataPrepInput InputFor(DataPrepInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input with { Drops = [] };
    }
}

/// <summary>What curating one shard found (its records are in the run's working files).</summary>
/// <param name="Records">Items read: records and unreadable records.</param>
/// <param name="InvalidJson">Records that were not JSON at all.</param>
/// <param name="Candidates">Records that passed validation and the quality filters: the input of deduplication.</param>
/// <param name="FileError">Why the whole file cannot be read (truncated gzip, not UTF-8, …), or null.</param>
/// <param name="FirstError">The first record error, to explain a file none of whose lines is a record.</param>
/// <param name="InvalidUtf8">Records whose bytes were not UTF-8 (each quarantined on its own).</param>
public sealed record DataShardResult(
    int Index,
    int FileIndex,
    long Records,
    long InvalidJson,
    long Candidates,
    string? FileError,
    string? FirstError,
    PiiCounts Pii,
    IReadOnlyDictionary<string, long> Rejected,
    IReadOnlyDictionary<string, long> Filtered,
    long InvalidUtf8 = 0);

/// <summary>Input of the fan-in: the plan and every shard's result.</summary>
public sealed record DataDedupTask(DataPrepInput Input, DataShardPlan Plan, IReadOnlyList<DataShardResult> Shards);

/// <summary>What deduplication decided across the drop and against the model's index.</summary>
/// <param name="ExactChecks">Candidate pairs whose exact Jaccard similarity was computed from their shingles.</param>
public sealed record DataDedupResult(long ExactDuplicates, long NearDuplicates, long CandidatePairs, long VerifiedPairs, long ExactChecks, int IndexedRecords);

/// <summary>The curated output files one shard wrote.</summary>
public sealed record WrittenShard(int Index, IReadOnlyList<ShardInfo> Outputs);

/// <summary>Input of the last step: everything the manifest accounts for.</summary>
public sealed record DataManifestTask(DataPrepInput Input, DataShardPlan Plan, IReadOnlyList<DataShardResult> Shards, DataDedupResult Dedup, IReadOnlyList<WrittenShard> Written);

/// <summary>Rules over the shard results that every step must agree on.</summary>
public static class DataShardOutcomes
{
    /// <summary>The files to quarantine whole, by file index, with the reason: a shard could not read it, it holds no
    /// record, none of its records is UTF-8 text, or none of its lines is JSON. A bad file contributes nothing else to
    /// the run. A file with some bad records and some good ones is not bad: each bad record is quarantined alone.</summary>
    public static SortedDictionary<int, string> BadFiles(DataShardPlan plan, IReadOnlyList<DataShardResult> results)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(results);
        var bad = new SortedDictionary<int, string>();
        foreach (IGrouping<int, DataShardResult> file in results.OrderBy(r => r.Index).GroupBy(r => r.FileIndex))
        {
            DropBlob drop = plan.Shards.First(s => s.FileIndex == file.Key).Drop;
            string? error = drop.Length == 0 ? "empty file (0 bytes)" : file.Select(r => r.FileError).FirstOrDefault(e => e is not null);
            long records = file.Sum(r => r.Records);
            if (error is null && records == 0)
            {
                error = NoRecords(drop.BlobName);
            }
            else if (error is null && file.Sum(r => r.InvalidUtf8) == records)
            {
                // Not one record is UTF-8: a file in another encoding (Latin-1, UTF-16) or a binary, not a few damaged records.
                error = $"not UTF-8 text: no record is valid UTF-8 ({file.Select(r => r.FirstError).First(e => e is not null)})";
            }
            else if (error is null && file.Sum(r => r.InvalidJson + r.InvalidUtf8) == records)
            {
                // Every line failed to parse: the file is not JSONL at all (a CSV, a binary, a pretty-printed document);
                // quarantine it whole rather than as thousands of identical record errors.
                error = $"not JSONL: no line is a JSON record ({file.Select(r => r.FirstError).First(e => e is not null)})";
            }

            if (error is not null)
            {
                bad[file.Key] = error;
            }
        }

        return bad;
    }

    /// <summary>Why a file that read without error holds no record, in its format's terms: a CSV reader that found no
    /// header throws, so a CSV here has its header; a Parquet file's footer was read and counts no rows.</summary>
    static string NoRecords(string name) =>
        (InputFormats.TryDetect(name, out InputFormat format, out _) ? format : (InputFormat?)null) switch
        {
            InputFormat.Csv or InputFormat.CsvGzip => "no records: the CSV file has a header but no rows",
            InputFormat.Parquet => "no records: the Parquet file has 0 rows",
            _ when JsonArrayInput.MayBeArray(name) => "no records: the file is empty, holds only blank lines or an empty JSON array",
            _ => "no records: the file is empty or holds only blank lines",
        };
}

/// <summary>The names of a run's working files (under <c>{model}/{run}/_work/</c> in the curated area), deleted once the
/// manifest is written.</summary>
static class WorkFiles
{
    public static string Folder(DataPrepInput input) => $"{input.Model}/{input.RunId}/_work/";

    public static string Of(DataPrepInput input, int shard, string kind) => $"{Folder(input)}s{shard:D5}.{kind}";

    /// <summary>Candidate records, one curated JSON line each.</summary>
    public const string Records = "records.jsonl";

    /// <summary>Candidate records' split, one byte each.</summary>
    public const string Splits = "splits.bin";

    /// <summary>Candidate records' order, id, source, text hash and MinHash signature.</summary>
    public const string Signatures = "signatures.bin";

    /// <summary>Records a quality rule dropped (lines of dropped.jsonl).</summary>
    public const string Filtered = "filtered.jsonl";

    /// <summary>Records that failed validation (lines of the quarantine's records.jsonl).</summary>
    public const string Rejects = "rejects.jsonl";

    /// <summary>From the fan-in: the ordinals of candidates dropped as duplicates.</summary>
    public const string Drops = "drops.bin";

    /// <summary>From the fan-in: the duplicates' lines of dropped.jsonl.</summary>
    public const string Duplicates = "duplicates.jsonl";
}
