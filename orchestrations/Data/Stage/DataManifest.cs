using GenAiServerless.Data.Quality;

namespace GenAiServerless.Data;

/// <summary>A run's <c>manifest.json</c>: what was curated, from which inputs and shards, with which parameters, and how
/// every record was accounted for. Written by <see cref="DataManifestWriter"/> with <see cref="DataJson.Indented"/>;
/// the property order is the document's.</summary>
public sealed record DataManifest(
    string Model,
    string RunId,
    string Tool,
    DataPolicy Parameters,
    IReadOnlyList<DataManifestInput> Inputs,
    IReadOnlyList<DataManifestShard> Shards,
    DataManifestCounts Counts,
    IReadOnlyDictionary<string, long> RejectReasons,
    IReadOnlyDictionary<string, long> FilteredByRule,
    DataManifestPii PiiRedacted,
    DataManifestNearDuplicates NearDuplicateSearch,
    IReadOnlyList<string> QuarantinedFiles,
    IReadOnlyList<ShardInfo> Outputs);

/// <summary>One input file of the run: its name, the ETag (or content hash) it was read at, its size.</summary>
public sealed record DataManifestInput(string Blob, string Etag, long Bytes);

/// <summary>One shard of the plan: the file, the byte range and the line it starts at.</summary>
public sealed record DataManifestShard(int Index, string File, long Offset, long Length, long FirstLine);

/// <summary>The run's record counts.</summary>
public sealed record DataManifestCounts(
    long Read, long Curated, long Quarantined, long ExactDuplicates, long NearDuplicates, long Filtered, int Train, int Validation, int Test);

/// <summary>Spans redacted, by kind (<see cref="PiiCounts"/> without its total).</summary>
public sealed record DataManifestPii(int Email, int Phone, int Card, int Iban, int Ip, int NationalId, int Secret)
{
    public static DataManifestPii From(PiiCounts pii) => new(pii.Email, pii.Phone, pii.Card, pii.Iban, pii.Ip, pii.NationalId, pii.Secret);
}

/// <summary>What the near-duplicate search did.</summary>
public sealed record DataManifestNearDuplicates(long CandidatePairs, long ConfirmedPairs, long ExactJaccardChecks, int IndexedRecords);

/// <summary>One line of <c>dropped.jsonl</c>: a record a quality rule filtered (<paramref name="Detail"/>) or a duplicate
/// (<paramref name="DuplicateOf"/>, and for a near duplicate the record it was matched with and their Jaccard, exact or
/// estimated). Null members are left out of the line.</summary>
public sealed record DroppedRecord(
    string Id,
    string Source,
    string Rule,
    string? Detail = null,
    string? DuplicateOf = null,
    string? MatchedWith = null,
    double? Jaccard = null,
    double? EstimatedJaccard = null);
