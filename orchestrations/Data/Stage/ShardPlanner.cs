using System.Buffers;
using System.Text;
using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Data;

/// <summary>Cuts a drop into shards: a plain JSONL or CSV file larger than <see cref="DataPolicy.ShardBytes"/> into byte
/// ranges that start and end on record boundaries (for CSV: line breaks outside quotes), every other file whole (gzip
/// cannot be entered in the middle; Parquet, small files, UTF-16 or UTF-32 text and JSON arrays are one unit).</summary>
/// <remarks>Finding the boundaries reads the large files once, counting line breaks at memory speed, so every shard
/// knows the file line it starts on and names its records by their line in the whole file.</remarks>
public static class ShardPlanner
{
    const int ChunkBytes = 64 * 1024;

    public static async Task<DataShardPlan> PlanAsync(IDataStore store, DataPrepInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        long shardBytes = Math.Max(1, input.Policy.ShardBytes);
        var shards = new List<DataShard>();
        for (int f = 0; f < input.Drops.Count; f++)
        {
            DropBlob drop = input.Drops[f];
            // CSV only with a known one-byte separator: a detected separator is the reader's choice, not the planner's.
            InputOptions inputs = input.Policy.Inputs ?? InputOptions.Default;
            char? csvSeparator = inputs.CsvSeparator;
            byte separator = csvSeparator is { } sep && sep < 0x80 ? (byte)sep : (byte)0;
            bool splittable = InputFormats.TryDetect(drop.BlobName, out InputFormat format, out _)
                && (format == InputFormat.Jsonl || (format == InputFormat.Csv && separator != 0));
            if (!splittable || drop.Length <= shardBytes)
            {
                shards.Add(new DataShard(shards.Count, f, drop, 0, drop.Length, 1));
                continue;
            }

            Stream stream = await store.OpenInputAsync(drop, cancellationToken);
            await using (stream)
            {
                foreach ((long offset, long length, long firstLine, string? header) in await CutAsync(stream, drop.Length, shardBytes, format == InputFormat.Csv, inputs.MaxRecordBytes, cancellationToken, separator))
                {
                    shards.Add(new DataShard(shards.Count, f, drop, offset, length, firstLine, header));
                }
            }
        }

        return new DataShardPlan(shards);
    }

    /// <summary>The ranges of one file: each at least <paramref name="shardBytes"/> long (but the last), ending just after a
    /// record's line break. A CSV header longer than <paramref name="maxHeaderBytes"/> keeps the file whole.</summary>
    internal static async Task<List<(long Offset, long Length, long FirstLine, string? CsvHeader)>> CutAsync(
        Stream stream, long fileLength, long shardBytes, bool csv, int maxHeaderBytes, CancellationToken cancellationToken, byte separator = (byte)',')
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            return csv
                ? await CutCsvAsync(stream, buffer, fileLength, shardBytes, separator, maxHeaderBytes, cancellationToken)
                : await CutLinesAsync(stream, buffer, fileLength, shardBytes, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the next chunk of the file; the first holds at least the four bytes a byte order mark may take
    /// (unless the file is shorter).</summary>
    static ValueTask<int> ReadChunkAsync(Stream stream, byte[] buffer, long position, CancellationToken cancellationToken) =>
        position == 0
            ? stream.ReadAtLeastAsync(buffer.AsMemory(0, ChunkBytes), 4, throwOnEndOfStream: false, cancellationToken)
            : stream.ReadAsync(buffer.AsMemory(0, ChunkBytes), cancellationToken);

    /// <summary>True for a file that starts with a UTF-16 or UTF-32 byte order mark (FF FE covers UTF-32LE's FF FE 00 00).
    /// Such a file is kept whole: its characters are two or four bytes wide, so a 0x0A byte may be half of one (U+4E0A
    /// is 0A 4E in UTF-16LE) rather than a line break, and only the file's first range carries the mark the reader
    /// transcodes by.</summary>
    static bool IsWideText(ReadOnlySpan<byte> start) => start is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..] or [0x00, 0x00, 0xFE, 0xFF, ..];

    /// <summary>True for a file whose first non-blank byte (after a UTF-8 byte order mark) is <c>[</c>, or that has none
    /// in its first chunk: a <c>.json</c> file may be one JSON array of records, whose elements are not lines.</summary>
    static bool MayBeJsonArray(ReadOnlySpan<byte> start)
    {
        start = start.StartsWith("\uFEFF"u8) ? start[3..] : start;
        int first = start.IndexOfAnyExcept(" \t\r\n"u8);
        return first < 0 || start[first] == (byte)'[';
    }

    /// <summary>JSONL: a record is a line; lines end at <c>\n</c> (the reader's rule too).</summary>
    static async Task<List<(long, long, long, string?)>> CutLinesAsync(Stream stream, byte[] buffer, long fileLength, long shardBytes, CancellationToken cancellationToken)
    {
        var ranges = new List<(long, long, long, string?)>();
        long position = 0, line = 1, start = 0, startLine = 1;
        int read;
        while ((read = await ReadChunkAsync(stream, buffer, position, cancellationToken)) > 0)
        {
            ReadOnlySpan<byte> chunk = buffer.AsSpan(0, read);
            if (position == 0 && (IsWideText(chunk) || MayBeJsonArray(chunk)))
            {
                return [(0, fileLength, 1, null)];
            }

            int i = 0;
            while (i < chunk.Length)
            {
                if (position + chunk.Length - start < shardBytes)
                {
                    // No cut can fall in the rest of this chunk: just count its lines.
                    line += chunk[i..].Count((byte)'\n');
                    break;
                }

                int next = chunk[i..].IndexOf((byte)'\n');
                if (next < 0)
                {
                    break;
                }

                i += next + 1;
                line++;
                long end = position + i;
                if (end - start >= shardBytes && end < fileLength)
                {
                    ranges.Add((start, end - start, startLine, null));
                    start = end;
                    startLine = line;
                }
            }

            position += read;
        }

        ranges.Add((start, fileLength - start, startLine, null));
        return ranges;
    }

    enum CsvState
    {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }

    /// <summary>CSV: records end at a line break outside quotes, read the way the CSV reader reads them (a quote opens a
    /// quoted field only at the start of a field; <c>""</c> inside one is a quote). Whenever the bytes could be read
    /// two ways — a quote inside an unquoted field, text after a closing quote, a lone <c>\r</c> (which the reader counts
    /// as a line break), a blank or multi-line header — the file is kept whole rather than risk a cut inside a record
    /// or a wrong line number. So is a header longer than <paramref name="maxHeaderBytes"/> (the reader's record limit):
    /// usually a quote never closed, which the reader quarantines, and which must not be buffered here whole.</summary>
    static async Task<List<(long, long, long, string?)>> CutCsvAsync(Stream stream, byte[] buffer, long fileLength, long shardBytes, byte separator, int maxHeaderBytes, CancellationToken cancellationToken)
    {
        List<(long, long, long, string?)> whole = [(0, fileLength, 1, null)];
        var ranges = new List<(long, long, long, string?)>();
        var header = new List<byte>();
        string? csvHeader = null;
        long position = 0, line = 1, start = 0, startLine = 1;
        var state = CsvState.FieldStart;
        bool pendingCr = false;
        int read;
        while ((read = await ReadChunkAsync(stream, buffer, position, cancellationToken)) > 0)
        {
            ReadOnlySpan<byte> chunk = buffer.AsSpan(0, read);
            if (position == 0 && IsWideText(chunk))
            {
                return whole;
            }

            for (int i = 0; i < chunk.Length; i++)
            {
                byte c = chunk[i];
                if (csvHeader is null)
                {
                    if (header.Count == maxHeaderBytes)
                    {
                        return whole;
                    }

                    header.Add(c);
                }

                if (pendingCr)
                {
                    pendingCr = false;
                    if (c != (byte)'\n')
                    {
                        return whole; // a lone \r: the reader would count a line the planner does not
                    }
                }

                if (c == (byte)'\r')
                {
                    pendingCr = true;
                    continue;
                }

                bool recordEnd = false;
                switch (state)
                {
                    case CsvState.Quoted:
                        state = c == (byte)'"' ? CsvState.QuoteInQuoted : CsvState.Quoted;
                        line += c == (byte)'\n' ? 1 : 0;
                        continue;
                    case CsvState.QuoteInQuoted when c == (byte)'"':
                        state = CsvState.Quoted; // an escaped quote
                        continue;
                    case CsvState.QuoteInQuoted when c != separator && c != (byte)'\n':
                        return whole; // text after a closing quote
                    case CsvState.Unquoted when c == (byte)'"':
                        return whole; // a quote inside an unquoted field
                    case CsvState.FieldStart when c == (byte)'"':
                        state = CsvState.Quoted;
                        continue;
                    default:
                        if (c == separator)
                        {
                            state = CsvState.FieldStart;
                        }
                        else if (c == (byte)'\n')
                        {
                            state = CsvState.FieldStart;
                            recordEnd = true;
                        }
                        else
                        {
                            state = CsvState.Unquoted;
                        }

                        break;
                }

                if (!recordEnd)
                {
                    continue;
                }

                line++;
                if (csvHeader is null)
                {
                    // The header: one non-blank line, repeated before every later range.
                    if (line != 2 || !header.Any(b => b is not ((byte)'\r' or (byte)'\n' or (byte)' ' or (byte)'\t')))
                    {
                        return whole;
                    }

                    csvHeader = Encoding.UTF8.GetString([.. header]);
                    continue;
                }

                long end = position + i + 1;
                if (end - start >= shardBytes && end < fileLength)
                {
                    ranges.Add((start, end - start, startLine, start == 0 ? null : csvHeader));
                    start = end;
                    startLine = line;
                }
            }

            position += read;
        }

        if (pendingCr || csvHeader is null)
        {
            return whole;
        }

        ranges.Add((start, fileLength - start, startLine, start == 0 ? null : csvHeader));
        return ranges;
    }
}
