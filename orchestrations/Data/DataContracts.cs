
namespace GenAiServerless.Data;

/// <summary>One dropped file: its blob name inside the <c>incoming</c> container and the ETag seen by the trigger.</summary>
public sealed record DropBlob(string BlobName, string ETag, long Length);

/// <summary>Input of <see cref="DataPrepOrchestrator"/>: the dropped files of one run and how to curate them.</summary>
public sealed record DataPrepInput(string Model, string RunId, IReadOnlyList<DropBlob> Drops, DataPolicy Policy);

/// <summary>What the Data stage produced: where the curated shards are and how every record was accounted for.</summary>
public sealed record DataPrepResult(
    string DatasetPrefix,
    string ManifestBlob,
    string ManifestSha256,
    long RecordsRead,
    long RecordsCurated,
    long RecordsQuarantined,
    long ExactDuplicates,
    int TrainRecords,
    int ValidationRecords,
    int TestRecords,
    IReadOnlyList<string> QuarantinedFiles,
    IReadOnlyDictionary<string, long> RejectReasons,
    long NearDuplicates = 0,
    long RecordsFiltered = 0);

/// <summary>A record that passed validation, normalised, with its deterministic split and the metadata fields its
/// schema keeps (one compact JSON object, or null).</summary>
public sealed record CuratedRecord(string Id, string Text, string? Prompt, string? Response, string Source, DataSplit Split, string? Metadata = null);

/// <summary>The three splits, assigned from a hash of the record id.</summary>
public enum DataSplit
{
    Train,
    Validation,
    Test,
}

/// <summary>A record that failed validation: where it came from, why, and its original text.</summary>
/// <param name="RawBase64">The record's exact bytes when they are not UTF-8 text (<see cref="Raw"/> then shows them with
/// U+FFFD); null otherwise.</param>
public sealed record RejectedRecord(string File, long Line, string Reason, string Detail, string Raw, string? RawBase64 = null);

/// <summary>A whole file that could not be read as JSONL, with the reason.</summary>
public sealed record RejectedFile(string File, string Reason);

/// <summary>One curated output file: its blob, split, record count and SHA-256.</summary>
public sealed record ShardInfo(string Blob, DataSplit Split, int Records, string Sha256);
