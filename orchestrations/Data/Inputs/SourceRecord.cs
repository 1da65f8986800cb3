namespace GenAiServerless.Data.Inputs;

/// <summary>One item read from an input file: a record for the curator, or a record that could not be read.</summary>
/// <param name="File">The file the item came from, as the caller named it.</param>
/// <param name="Position">1-based: the line of a JSONL file, the line where a CSV record starts, the row of a Parquet file.</param>
/// <param name="RawForQuarantine">What the quarantine keeps: the line or CSV record as it was in the file; for Parquet,
/// the row as JSON (a row has no text form of its own).</param>
public abstract record SourceItem(string File, long Position, string RawForQuarantine);

/// <summary>A record as one compact JSON object in the shape the curator reads (<c>text</c>, <c>prompt</c>/<c>response</c>
/// or <c>messages</c>, optional <c>id</c>, metadata).</summary>
/// <remarks>JSONL lines are passed on as they are, not parsed here: the curator parses and validates them once.</remarks>
public sealed record SourceRecord(string File, long Position, string Json, string RawForQuarantine)
    : SourceItem(File, Position, RawForQuarantine);

/// <summary>A record the reader could not turn into JSON (a malformed CSV row, an over-long line, bytes that are not
/// UTF-8), with a reason code (<c>invalid_csv</c>, <c>too_large</c>, <c>invalid_utf8</c>) and a detail that names where
/// and why.</summary>
/// <param name="RawBase64">The record's exact bytes, when its text form cannot hold them (not UTF-8).</param>
public sealed record UnreadableRecord(string File, long Position, string Reason, string Detail, string RawForQuarantine, string? RawBase64 = null)
    : SourceItem(File, Position, RawForQuarantine)
{
    /// <summary>The quarantine entry for this record.</summary>
    public RejectedRecord ToRejectedRecord() => new(File, Position, Reason, Detail, RawForQuarantine, RawBase64);
}

/// <summary>Thrown while reading when a whole file must be quarantined because its records cannot be told apart or read
/// at all: unknown format, truncated gzip, unreadable Parquet footer, a CSV without its header or text columns.</summary>
public sealed class UnreadableFileException : Exception
{
    public UnreadableFileException(string file, string reason, Exception? innerException = null)
        : base($"{file}: {reason}", innerException)
    {
        File = file;
        Reason = reason;
    }

    public UnreadableFileException()
        : this("", "unreadable file")
    {
    }

    public UnreadableFileException(string message)
        : this("", message)
    {
    }

    public UnreadableFileException(string message, Exception innerException)
        : this("", message, innerException)
    {
    }

    /// <summary>The file, as the caller named it.</summary>
    public string File { get; }

    /// <summary>A gzip file whose stream broke off or is corrupt (<see cref="VerifiedGzipStream"/>'s reason): its
    /// records after the break cannot be told apart, so the file is quarantined whole.</summary>
    public static UnreadableFileException NotGzip(string file, InvalidDataException reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        return new UnreadableFileException(file, $"not a readable gzip file: {reason.Message}", reason);
    }

    /// <summary>Why the file cannot be read, e.g. "not a readable gzip file: …".</summary>
    public string Reason { get; }

    /// <summary>The quarantine entry for this file.</summary>
    public RejectedFile ToRejectedFile() => new(File, Reason);
}
