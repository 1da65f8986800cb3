using System.Runtime.CompilerServices;
using System.Text;

namespace GenAiServerless.Data.Inputs;

/// <summary>Reads any supported input file as one stream of <see cref="SourceItem"/>s, whatever its format.</summary>
/// <remarks>Memory is bounded by one line, record or array element (JSONL, CSV, a <c>.json</c> array) or one row group
/// (Parquet), not by the file. A file
/// that cannot be read as a whole throws <see cref="UnreadableFileException"/> from the enumeration, possibly after
/// items were yielded: the caller commits a file's items only once the enumeration has ended. The caller owns
/// <c>stream</c>; it is not disposed.</remarks>
public static class InputReader
{
    /// <summary>Reads <paramref name="stream"/> in the format its name <paramref name="file"/> says; an unknown
    /// extension makes the file unreadable.</summary>
    public static async IAsyncEnumerable<SourceItem> ReadAsync(
        string file, Stream stream, InputOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        InputFormat format = InputFormats.Detect(file);
        await foreach (SourceItem item in ReadAsync(file, format, stream, options, cancellationToken))
        {
            yield return item;
        }
    }

    /// <summary>Reads <paramref name="stream"/> as <paramref name="format"/>; <paramref name="file"/> names it in records and errors.</summary>
    public static IAsyncEnumerable<SourceItem> ReadAsync(string file, InputFormat format, Stream stream, InputOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(stream);
        options ??= InputOptions.Default;
        return format switch
        {
            InputFormat.Jsonl => ReadJsonlAsync(file, stream, gzip: false, options, cancellationToken),
            InputFormat.JsonlGzip => ReadJsonlAsync(file, stream, gzip: true, options, cancellationToken),
            InputFormat.Csv => CsvInput.ReadAsync(file, stream, gzip: false, options, cancellationToken),
            InputFormat.CsvGzip => CsvInput.ReadAsync(file, stream, gzip: true, options, cancellationToken),
            InputFormat.Parquet => ParquetInput.ReadAsync(file, stream, options, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown input format"),
        };
    }

    static async IAsyncEnumerable<SourceItem> ReadJsonlAsync(
        string file, Stream stream, bool gzip, InputOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Stream? gunzipped = gzip ? new VerifiedGzipStream(stream) : null;
        await using Stream? _ = gunzipped;
        Stream bytes = gunzipped ?? stream;
        if (JsonArrayInput.MayBeArray(file) && options.LineOffset == 0)
        {
            // A .json file is JSON Lines or one array of records: its first non-blank byte tells which. (A later byte
            // range of a file is never sniffed: the planner cuts only files that are not arrays.)
            byte[] head;
            bool isArray;
            try
            {
                (head, isArray) = await JsonArrayInput.SniffAsync(bytes, options.MaxRecordBytes, cancellationToken);
            }
            catch (InvalidDataException e) when (gzip)
            {
                throw UnreadableFileException.NotGzip(file, e);
            }

            bytes = new ConcatStream(head, bytes);
            if (isArray)
            {
                await foreach (SourceItem item in JsonArrayInput.ReadAsync(file, bytes, gzip, options, cancellationToken))
                {
                    yield return item;
                }

                yield break;
            }
        }

        using var lines = new Utf8LineSplitter(bytes, options.MaxRecordBytes);
        while (true)
        {
            bool more;
            try
            {
                more = await lines.ReadLineAsync(cancellationToken);
            }
            catch (InvalidDataException e) when (gzip)
            {
                throw UnreadableFileException.NotGzip(file, e);
            }

            if (!more)
            {
                yield break;
            }

            long lineNumber = lines.LineNumber + options.LineOffset;
            if (lines.TooLong)
            {
                yield return new UnreadableRecord(
                    file,
                    lineNumber,
                    "too_large",
                    $"line {lineNumber} has {lines.LineLength} bytes; the limit is {options.MaxRecordBytes} (the quarantine keeps its first {lines.Line.Length} bytes)",
                    Encoding.UTF8.GetString(lines.Line.Span));
                continue;
            }

            ReadOnlySpan<byte> line = lines.Line.Span;
            if (lines.LineNumber == 1 && options.LineOffset == 0 && line.StartsWith("\uFEFF"u8))
            {
                line = line[3..];
            }

            if (InvalidUtf8.Check(file, lineNumber, $"line {lineNumber}", line) is { } invalid)
            {
                // One bad line costs that line: the line breaks around it are plain bytes, so every other line still reads.
                yield return invalid;
                continue;
            }

            if (!line.Trim(" \t\r\f\v"u8).IsEmpty)
            {
                string text = Encoding.UTF8.GetString(line);
                yield return new SourceRecord(file, lineNumber, text, text);
            }
        }
    }
}
