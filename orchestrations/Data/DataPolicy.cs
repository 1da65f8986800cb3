namespace GenAiServerless.Data;

/// <summary>How the Data stage curates records.</summary>
/// <param name="ShardBytes">Plain JSONL and CSV files larger than this are cut into byte-range shards on record
/// boundaries, each curated by its own activity.</param>
/// <param name="Schema">The model's record schema (shapes, metadata fields kept, largest record); null = the default.</param>
/// <param name="Inputs">How tabular inputs are read (text columns, CSV separator); null = the defaults.</param>
/// <param name="ParquetOutput">Also write each curated JSONL file as Parquet beside it (columns id, text, prompt,
/// response, source, meta).</param>
/// <param name="Index">How the model's near-duplicate index is kept (segments, retention); null = <see cref="IndexPolicy.Default"/>.</param>
public sealed record DataPolicy(
    double ValidationFraction,
    double TestFraction,
    int MaxRecordChars,
    int ShardRecords,
    string QualityPreset = DataQualityPresets.ShortRecords,
    long ShardBytes = DataPolicy.DefaultShardBytes,
    Data.Inputs.RecordSchema? Schema = null,
    Data.Inputs.InputOptions? Inputs = null,
    bool ParquetOutput = false,
    IndexPolicy? Index = null)
{
    public const long DefaultShardBytes = 64L * 1024 * 1024;
}

/// <summary>The named quality policies a model can choose (thresholds in <see cref="Data.Quality.QualityPolicy"/>).</summary>
public static class DataQualityPresets
{
    /// <summary>Chat turns, one-line answers: Gopher minimums relaxed, C4 off; PII, repetition and toxicity on.</summary>
    public const string ShortRecords = "ShortRecords";

    /// <summary>Web pages, articles: Gopher and C4 as published.</summary>
    public const string Documents = "Documents";

    /// <summary>No PII redaction and no quality filters.</summary>
    public const string Off = "Off";

    public static readonly string[] All = [ShortRecords, Documents, Off];

    public static Data.Quality.QualityPipeline? Create(string preset) => preset switch
    {
        ShortRecords => new Data.Quality.QualityPipeline(Data.Quality.QualityPolicy.ShortRecords),
        Documents => new Data.Quality.QualityPipeline(Data.Quality.QualityPolicy.Documents),
        Off => null,
        _ => throw new ArgumentException($"unknown quality preset '{preset}': use one of {string.Join(", ", All)}", nameof(preset)),
    };
}
