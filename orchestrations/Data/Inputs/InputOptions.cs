namespace GenAiServerless.Data.Inputs;

/// <summary>How input files are read. The defaults suit most drops; a model configuration may override them.</summary>
public sealed record InputOptions
{
    public static InputOptions Default { get; } = new();

    /// <summary>Which columns of a tabular input (CSV or Parquet) hold the text. Default: <see cref="CsvTextColumns.Auto"/>.</summary>
    public CsvTextColumns TextColumns { get; init; } = CsvTextColumns.Auto;

    /// <summary>The CSV field separator. A comma by default; <c>null</c> lets the reader detect it (, ; tab |).</summary>
    public char? CsvSeparator { get; init; } = ',';

    /// <summary>The largest line or CSV record buffered, in bytes: a guard for memory, not the schema's size rule
    /// (<see cref="RecordSchema.MaxRecordBytes"/>), so it should be at least that. A longer JSONL line becomes a
    /// <c>too_large</c> record; a longer CSV record (usually an unclosed quote) makes the file unreadable.</summary>
    public int MaxRecordBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Lines before the stream's first line in the file: a byte-range shard names records by their line in
    /// the whole file. 0 for a whole file.</summary>
    public long LineOffset { get; init; }
}

/// <summary>The columns of a tabular input that hold the text: one <c>text</c> column, or a <c>prompt</c> and a
/// <c>response</c> column. Also used for Parquet columns.</summary>
/// <remarks>With <see cref="Auto"/> (all null), a <c>text</c> column is used if present, else <c>prompt</c> and
/// <c>response</c>; a file with neither is unreadable, and the error names the header found.</remarks>
public sealed record CsvTextColumns(string? Text, string? Prompt, string? Response)
{
    /// <summary>Use <c>text</c> if present, else <c>prompt</c> and <c>response</c>.</summary>
    public static CsvTextColumns Auto { get; } = new(null, null, null);

    /// <summary>The column named <paramref name="column"/> holds the text.</summary>
    public static CsvTextColumns TextIn(string column) => new(column, null, null);

    /// <summary>The prompt and the response are in these two columns.</summary>
    public static CsvTextColumns PromptResponseIn(string prompt, string response) => new(null, prompt, response);

    /// <summary>The column holding the record id, if present. <c>id</c> by default.</summary>
    public string IdColumn { get; init; } = "id";

    internal bool IsAuto => Text is null && Prompt is null && Response is null;
}
