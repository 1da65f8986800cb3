using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CsvHelper;

namespace GenAiServerless.Data.Inputs;

/// <summary>Reads a CSV file with a header row (CsvHelper) into records <c>{"id":…,"text":…,…metadata}</c> or
/// <c>{"id":…,"prompt":…,"response":…,…}</c>.</summary>
/// <remarks>A row with the wrong number of fields or broken quoting is an <c>invalid_csv</c> record, a row whose bytes are
/// not UTF-8 an <c>invalid_utf8</c> record, and the rows on either side are still read (quotes, separators and line
/// breaks are ASCII bytes, so a bad byte never moves a record boundary). A file without a header or without the text
/// columns, or with a record larger than <see cref="InputOptions.MaxRecordBytes"/> (an unclosed quote swallowing the
/// rest of the file), is unreadable.</remarks>
internal static class CsvInput
{
    /// <summary>The field names the curator reads: a column with one of these names is not passed on as metadata.</summary>
    static readonly HashSet<string> Reserved = new(["id", "text", "prompt", "response", "messages"], StringComparer.OrdinalIgnoreCase);

    public static async IAsyncEnumerable<SourceItem> ReadAsync(
        string file, Stream stream, bool gzip, InputOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Stream? gunzipped = gzip ? new VerifiedGzipStream(stream) : null;
        await using Stream? _ = gunzipped;

        var malformed = new Queue<CsvMalformedRecord>();
        var csvOptions = new CsvReaderOptions
        {
            Separator = options.CsvSeparator,
            HasHeader = true,
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Skip,
            FieldCountMismatch = CsvFieldCountHandling.Skip,
            OnMalformedRecord = malformed.Enqueue,
            MaxRecordSize = options.MaxRecordBytes,

            // Read as bytes, never transcoded: a record that is not UTF-8 is found by its own bytes below and costs only itself.
            Encoding = Encoding.UTF8,
        };
        await using CsvReader csv = CsvReader.Create(gunzipped ?? stream, csvOptions, leaveOpen: true);
        long offset = options.LineOffset;
        await Guard(file, gzip, () => csv.ReadHeaderAsync(cancellationToken).AsTask(), 0, 0);
        Columns columns = Columns.Resolve(file, csv.Headers, options.TextColumns);
        using var json = new RowWriter();
        while (true)
        {
            bool more = await Guard(file, gzip, () => csv.ReadAsync(cancellationToken).AsTask(), csv.LineNumber, offset);
            while (malformed.TryDequeue(out CsvMalformedRecord bad))
            {
                yield return new UnreadableRecord(file, bad.LineNumber + offset, "invalid_csv", $"CSV row at line {bad.LineNumber + offset}: {Describe(bad.Reason, csv.Headers.Count)}", bad.RawRecord);
            }

            if (!more)
            {
                yield break;
            }

            long line = csv.LineNumber + offset;
            if (InvalidUtf8.Check(file, line, $"CSV row at line {line}", csv.RawRecord) is { } invalid)
            {
                yield return invalid;
                continue;
            }

            yield return new SourceRecord(file, line, json.Write(csv, columns), Encoding.UTF8.GetString(csv.RawRecord));
        }
    }

    /// <summary>Runs a read, turning the failures that spoil the whole file into an <see cref="UnreadableFileException"/>.</summary>
    static async Task<T> Guard<T>(string file, bool gzip, Func<Task<T>> read, long line, long offset)
    {
        line += line > 0 ? offset : 0;
        try
        {
            return await read();
        }
        catch (InvalidDataException e) when (gzip)
        {
            throw UnreadableFileException.NotGzip(file, e);
        }
        catch (CsvFormatException e)
        {
            throw new UnreadableFileException(file, $"unreadable CSV near line {Math.Max(line, e.LineNumber + offset)}: {e.Message}", e);
        }
    }

    static Task<bool> Guard(string file, bool gzip, Func<Task> read, long line, long offset) =>
        Guard(file, gzip, async () =>
        {
            await read();
            return true;
        }, line, offset);

    static string Describe(CsvMalformedReason reason, int headerFields) => reason switch
    {
        CsvMalformedReason.FieldCountMismatch => $"wrong number of fields (the header has {headerFields})",
        CsvMalformedReason.StrayQuote => "a quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "text after the closing quote of a field",
        CsvMalformedReason.UnterminatedQuote => "a quoted field that is never closed",
        CsvMalformedReason.LineBreakInQuotes => "a line break inside a quoted field",
        _ => $"malformed ({reason})",
    };

    /// <summary>Where the text, id and metadata are in the header.</summary>
    sealed record Columns(int Text, int Prompt, int Response, int Id, IReadOnlyList<(string Name, int Index)> Metadata)
    {
        public static Columns Resolve(string file, IReadOnlyList<string> header, CsvTextColumns wanted)
        {
            if (header.Count == 0 || (header.Count == 1 && header[0].Length == 0))
            {
                throw new UnreadableFileException(file, "no header row: the CSV file is empty");
            }

            string found = string.Join(", ", header.Select(h => $"'{h}'"));
            int text = -1, prompt = -1, response = -1;
            if (wanted.IsAuto)
            {
                text = IndexOf(header, "text");
                if (text < 0)
                {
                    prompt = IndexOf(header, "prompt");
                    response = IndexOf(header, "response");
                }

                if (text < 0 && (prompt < 0 || response < 0))
                {
                    throw new UnreadableFileException(file, $"CSV header has no 'text' column and no 'prompt' and 'response' columns (header: {found})");
                }
            }
            else if (wanted.Text is not null)
            {
                text = IndexOf(header, wanted.Text);
                if (text < 0)
                {
                    throw new UnreadableFileException(file, $"CSV header has no '{wanted.Text}' column for the text (header: {found})");
                }
            }
            else
            {
                prompt = wanted.Prompt is null ? -1 : IndexOf(header, wanted.Prompt);
                response = wanted.Response is null ? -1 : IndexOf(header, wanted.Response);
                if (prompt < 0 || response < 0)
                {
                    throw new UnreadableFileException(file, $"CSV header has no '{wanted.Prompt}' and '{wanted.Response}' columns for prompt and response (header: {found})");
                }
            }

            int id = IndexOf(header, wanted.IdColumn);
            var used = new HashSet<int> { text, prompt, response, id };
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new List<(string, int)>();
            for (int i = 0; i < header.Count; i++)
            {
                // Reserved names are left out so that a stray 'text' column cannot stand in for the chosen text columns.
                if (!used.Contains(i) && header[i].Length > 0 && !Reserved.Contains(header[i]) && seen.Add(header[i]))
                {
                    metadata.Add((header[i], i));
                }
            }

            return new Columns(text, prompt, response, id, metadata);
        }

        /// <summary>The column named <paramref name="name"/>: exactly, else ignoring case and surrounding spaces.</summary>
        static int IndexOf(IReadOnlyList<string> header, string name)
        {
            for (int i = 0; i < header.Count; i++)
            {
                if (string.Equals(header[i], name, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            for (int i = 0; i < header.Count; i++)
            {
                if (string.Equals(header[i].Trim(), name.Trim(), StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }

            return -1;
        }
    }

    /// <summary>Writes a row as compact JSON, reusing one buffer.</summary>
    sealed class RowWriter : IDisposable
    {
        readonly ArrayBufferWriter<byte> buffer = new(4096);
        readonly Utf8JsonWriter writer;

        public RowWriter() => writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        public string Write(CsvReader csv, Columns columns)
        {
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            writer.WriteStartObject();

            // An empty id cell means "no id" (the curator then derives one from the text), not an empty id.
            if (columns.Id >= 0 && !csv.IsEmpty(columns.Id))
            {
                writer.WriteString("id", csv.GetSpan(columns.Id));
            }

            if (columns.Text >= 0)
            {
                writer.WriteString("text", csv.GetSpan(columns.Text));
            }
            else
            {
                writer.WriteString("prompt", csv.GetSpan(columns.Prompt));
                writer.WriteString("response", csv.GetSpan(columns.Response));
            }

            foreach ((string name, int index) in columns.Metadata)
            {
                writer.WriteString(name, csv.GetSpan(index));
            }

            writer.WriteEndObject();
            writer.Flush();
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }

        public void Dispose() => writer.Dispose();
    }
}
