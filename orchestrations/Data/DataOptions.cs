using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Data;

/// <summary>How dropped data is curated. Bound from <c>Data</c>.</summary>
public sealed class DataOptions
{
    [Range(0.0, 0.5)]
    public double ValidationFraction { get; set; } = 0.1;

    [Range(0.0, 0.5)]
    public double TestFraction { get; set; } = 0.1;

    [Range(16, 1_000_000)]
    public int MaxRecordChars { get; set; } = 20_000;

    [Range(100, 1_000_000)]
    public int ShardRecords { get; set; } = 5_000;

    /// <summary>PII redaction and quality filters: ShortRecords (default), Documents or Off.</summary>
    [Required]
    public string QualityPreset { get; set; } = DataQualityPresets.ShortRecords;

    /// <summary>Plain JSONL and CSV files larger than this are cut into byte-range shards curated in parallel.</summary>
    [Range(1024L * 1024, 4L * 1024 * 1024 * 1024)]
    public long ShardBytes { get; set; } = DataPolicy.DefaultShardBytes;

    /// <summary>Also write every curated JSONL file as Parquet beside it.</summary>
    public bool ParquetOutput { get; set; }

    /// <summary>The most segments the model's near-duplicate index is kept in; a run that would leave more merges them into one.</summary>
    [Range(1, 1000)]
    public int IndexMaxSegments { get; set; } = IndexPolicy.DefaultMaxSegments;

    /// <summary>How long index segments and run manifests that the model's index no longer needs are kept before they are
    /// deleted ("7.00:00:00"); a run that takes longer than this between its fan-in and its manifest fails rather than
    /// publish an index that was collected.</summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan IndexRetention { get; set; } = IndexPolicy.DefaultRetention;

    /// <summary>Per-model settings, bound from <c>Data:Models:{model}</c>; anything left out takes the value above.</summary>
    public Dictionary<string, ModelDataOptions> Models { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One model's record schema, input columns and quality preset. Bound from <c>Data:Models:{model}</c>.</summary>
public sealed class ModelDataOptions
{
    /// <summary>ShortRecords, Documents or Off; null = <see cref="DataOptions.QualityPreset"/>.</summary>
    public string? QualityPreset { get; set; }

    /// <summary>Accepted record shapes: any of Text, PromptResponse, Messages; empty = all.</summary>
    public List<string> Shapes { get; set; } = [];

    /// <summary>Optional fields kept with each curated record (e.g. lang, source).</summary>
    public List<string> MetadataFields { get; set; } = [];

    /// <summary>The largest record in bytes of its JSON; null = 1 MiB.</summary>
    [Range(16, 64 * 1024 * 1024)]
    public int? MaxRecordBytes { get; set; }

    /// <summary>The largest record in characters of normalised text; null = <see cref="DataOptions.MaxRecordChars"/>.</summary>
    [Range(16, 10_000_000)]
    public int? MaxRecordChars { get; set; }

    /// <summary>CSV/Parquet: the column holding the text (or set <see cref="PromptColumn"/> and <see cref="ResponseColumn"/>).</summary>
    public string? TextColumn { get; set; }

    public string? PromptColumn { get; set; }

    public string? ResponseColumn { get; set; }

    /// <summary>CSV/Parquet: the column holding the record id; <c>id</c> by default.</summary>
    public string? IdColumn { get; set; }

    /// <summary>CSV: the field separator (one character); "auto" to detect it. A comma by default.</summary>
    public string? CsvSeparator { get; set; }

    /// <summary>Also write Parquet beside the JSONL; null = <see cref="DataOptions.ParquetOutput"/>.</summary>
    public bool? ParquetOutput { get; set; }
}
