namespace GenAiServerless.Data.Inputs;

/// <summary>The input formats the Data stage reads, told apart by file name.</summary>
public enum InputFormat
{
    /// <summary>JSON Lines: one JSON object per line (<c>.jsonl</c>, <c>.json</c>); a <c>.json</c> file whose first
    /// non-blank byte is <c>[</c> is one JSON array of records instead.</summary>
    Jsonl,

    /// <summary>Gzip-compressed JSON Lines (<c>.jsonl.gz</c>, <c>.json.gz</c>, any other <c>.gz</c>); a <c>.json.gz</c>
    /// file may hold a JSON array as a <c>.json</c> file may.</summary>
    JsonlGzip,

    /// <summary>CSV with a header row (<c>.csv</c>).</summary>
    Csv,

    /// <summary>Gzip-compressed CSV (<c>.csv.gz</c>).</summary>
    CsvGzip,

    /// <summary>Apache Parquet (<c>.parquet</c>).</summary>
    Parquet,
}

/// <summary>Detects the <see cref="InputFormat"/> of a file from its name.</summary>
public static class InputFormats
{
    /// <summary>True for the formats that are gunzipped before they are read.</summary>
    public static bool IsGzip(this InputFormat format) => format is InputFormat.JsonlGzip or InputFormat.CsvGzip;

    /// <summary>The format of <paramref name="name"/> (a blob name or a path), or false with the error to report.</summary>
    public static bool TryDetect(string name, out InputFormat format, out string error)
    {
        ArgumentNullException.ThrowIfNull(name);
        string file = Path.GetFileName(name);
        (InputFormat? detected, error) = file switch
        {
            _ when Ends(file, ".csv.gz") => (InputFormat.CsvGzip, ""),
            _ when Ends(file, ".gz") => (InputFormat.JsonlGzip, ""),
            _ when Ends(file, ".jsonl") || Ends(file, ".json") => (InputFormat.Jsonl, ""),
            _ when Ends(file, ".csv") => (InputFormat.Csv, ""),
            _ when Ends(file, ".parquet") => (InputFormat.Parquet, ""),
            _ => ((InputFormat?)null, $"not a supported input format: {name}; use .jsonl, .jsonl.gz, .csv or .parquet"),
        };
        format = detected.GetValueOrDefault();
        return detected is not null;
    }

    /// <summary>The format of <paramref name="name"/>; an <see cref="UnreadableFileException"/> for an unknown extension.</summary>
    public static InputFormat Detect(string name) =>
        TryDetect(name, out InputFormat format, out string error) ? format : throw new UnreadableFileException(name, error);

    static bool Ends(string file, string extension) => file.EndsWith(extension, StringComparison.OrdinalIgnoreCase);
}
