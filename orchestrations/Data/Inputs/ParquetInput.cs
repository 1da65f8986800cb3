using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace GenAiServerless.Data.Inputs;

/// <summary>Reads a Parquet file (Parquet.Net) one row group at a time into records <c>{"id":…,"text":…,…}</c>.</summary>
/// <remarks>The text is in a string column <c>text</c>, or string columns <c>prompt</c> and <c>response</c> (see
/// <see cref="CsvTextColumns"/>); <c>id</c> may be a string or an integer column; other top-level string columns are
/// passed on as metadata, columns of other types are not. A null text cell leaves the field out, and the curator
/// rejects the record as <c>missing_text</c>. An unreadable footer or schema makes the whole file unreadable; a damaged
/// row group only its own rows (<see cref="UnreadableRowGroup"/>).</remarks>
internal static class ParquetInput
{
    public static async IAsyncEnumerable<SourceItem> ReadAsync(
        string file, Stream stream, InputOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Parquet is read from its footer backwards and by column chunk, so it needs a seekable stream. A local file is
        // read in place; a remote stream (a blob) is copied to a local temporary file first: one download instead of
        // many ranged reads, and a network failure surfaces as itself, not as an unreadable Parquet file.
        FileStream? local = null;
        if (stream is not (FileStream or MemoryStream or LocalReadStream) || !stream.CanSeek)
        {
            local = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            await stream.CopyToAsync(local, cancellationToken);
            local.Position = 0;
        }

        await using FileStream? _ = local;
        ParquetReader reader = await Guard(file, "", () => ParquetReader.CreateAsync(local ?? stream, leaveStreamOpen: true, cancellationToken: cancellationToken));
        await using ParquetReader __ = reader;
        Columns columns = Columns.Resolve(file, reader.Schema, options.TextColumns);
        long row = 0;
        for (int group = 0; group < reader.RowGroupCount; group++)
        {
            int g = group;
            (RowGroup? data, string? error) = await TryReadRowGroupAsync(reader, g, columns, cancellationToken);
            if (data is null)
            {
                // The footer says where each row group is and how many rows it holds, so a damaged row group costs its
                // own rows only: one entry names them, and the row groups after it are still read.
                long rows = reader.RowGroups[g].RowCount;
                string detail = $"rows {row + 1}–{row + rows} (row group {g}) cannot be read: {error}";
                yield return new UnreadableRecord(file, row + 1, UnreadableRowGroup, detail, string.Empty);
                row += rows;
                continue;
            }

            for (int i = 0; i < data.Count; i++)
            {
                row++;
                string json = data.ToJson(i);
                yield return new SourceRecord(file, row, json, json);
            }
        }
    }

    /// <summary>The reason code of a row group whose pages cannot be decoded.</summary>
    public const string UnreadableRowGroup = "unreadable_row_group";

    static async Task<(RowGroup? Data, string? Error)> TryReadRowGroupAsync(ParquetReader reader, int group, Columns columns, CancellationToken cancellationToken)
    {
        try
        {
            return (await RowGroup.ReadAsync(reader, group, columns, cancellationToken), null);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            return (null, e.Message);
        }
    }

    /// <summary>A corrupt file makes the decoder fail in many ways (Thrift, decompression, encoding, index errors); each
    /// means the same to the user. The file was copied to local disk first, so no network failure can land here.</summary>
    static bool IsCorruption(Exception e) => e is not (OperationCanceledException or OutOfMemoryException);

    /// <summary>Runs a read, turning the failures of a corrupt or foreign file into an <see cref="UnreadableFileException"/>.</summary>
    static async Task<T> Guard<T>(string file, string where, Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw new UnreadableFileException(file, $"unreadable Parquet: {where}{e.Message}", e);
        }
    }

    /// <summary>The fields holding the text, the id and the metadata.</summary>
    sealed record Columns(DataField? Text, DataField? Prompt, DataField? Response, DataField? Id, IReadOnlyList<DataField> Metadata)
    {
        static readonly HashSet<string> Reserved = new(["id", "text", "prompt", "response", "messages"], StringComparer.OrdinalIgnoreCase);

        public static Columns Resolve(string file, ParquetSchema schema, CsvTextColumns wanted)
        {
            Dictionary<string, Field> top = [];
            foreach (Field f in schema.Fields)
            {
                top.TryAdd(f.Name, f);
            }

            string found = string.Join(", ", schema.Fields.Select(f => $"'{f.Name}' ({TypeOf(f)})"));
            DataField? text = null, prompt = null, response = null;
            string? textName = wanted.IsAuto ? (top.ContainsKey("text") ? "text" : null) : wanted.Text;
            if (textName is not null)
            {
                text = StringColumn(file, top, textName, found);
            }
            else
            {
                string promptName = wanted.Prompt ?? "prompt";
                string responseName = wanted.Response ?? "response";
                if (!top.ContainsKey(promptName) || !top.ContainsKey(responseName))
                {
                    throw new UnreadableFileException(file, wanted.IsAuto
                        ? $"Parquet schema has no 'text' column and no 'prompt' and 'response' columns (columns: {found})"
                        : $"Parquet schema has no '{promptName}' and '{responseName}' columns for prompt and response (columns: {found})");
                }

                prompt = StringColumn(file, top, promptName, found);
                response = StringColumn(file, top, responseName, found);
            }

            DataField? id = null;
            if (top.TryGetValue(wanted.IdColumn, out Field? idField))
            {
                id = idField is DataField d && (IsString(d) || (!d.IsArray && (d.ClrType == typeof(int) || d.ClrType == typeof(long))))
                    ? d
                    : throw new UnreadableFileException(file, $"Parquet column '{wanted.IdColumn}' has type {TypeOf(idField)}; expected a string or integer column");
            }

            DataField?[] used = [text, prompt, response, id];
            List<DataField> metadata = [.. top.Values.OfType<DataField>().Where(f => !used.Contains(f) && !Reserved.Contains(f.Name) && IsString(f))];
            return new Columns(text, prompt, response, id, metadata);
        }

        static DataField StringColumn(string file, Dictionary<string, Field> top, string name, string found) =>
            !top.TryGetValue(name, out Field? field)
                ? throw new UnreadableFileException(file, $"Parquet schema has no '{name}' column for the text (columns: {found})")
                : field is DataField data && IsString(data)
                    ? data
                    : throw new UnreadableFileException(file, $"Parquet column '{name}' has type {TypeOf(field)}; expected a string column");

        // Parquet.Net 6 maps UTF-8 byte arrays to ReadOnlyMemory<char> unless told to prefer string.
        static bool IsString(DataField field) => (field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>)) && !field.IsArray;

        static string TypeOf(Field field) => field switch
        {
            DataField { IsArray: true } d => $"list of {Name(d)}",
            DataField d => Name(d),
            _ => field.SchemaType.ToString().ToLowerInvariant(),
        };

        static string Name(DataField field) => field.ClrType == typeof(ReadOnlyMemory<char>) ? "String" : field.ClrType.Name;
    }

    /// <summary>The columns of one row group, as read.</summary>
    sealed class RowGroup
    {
        static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        readonly List<(string Name, string?[] Values)> strings = [];
        long?[]? numericIds;
        string?[]? stringIds;

        public int Count { get; private set; }

        public static async Task<RowGroup> ReadAsync(ParquetReader reader, int index, Columns columns, CancellationToken cancellationToken)
        {
            using ParquetRowGroupReader group = reader.OpenRowGroupReader(index);
            var data = new RowGroup { Count = checked((int)group.RowCount) };
            foreach ((string name, DataField? field) in new[] { ("text", columns.Text), ("prompt", columns.Prompt), ("response", columns.Response) })
            {
                if (field is not null)
                {
                    data.strings.Add((name, await ReadStrings(group, field, data.Count, cancellationToken)));
                }
            }

            foreach (DataField field in columns.Metadata)
            {
                data.strings.Add((field.Name, await ReadStrings(group, field, data.Count, cancellationToken)));
            }

            if (columns.Id is { } id)
            {
                if (id.ClrType != typeof(int) && id.ClrType != typeof(long))
                {
                    data.stringIds = await ReadStrings(group, id, data.Count, cancellationToken);
                }
                else if (id.ClrType == typeof(int))
                {
                    int?[] ints = new int?[data.Count];
                    await group.ReadAsync<int>(id, ints, cancellationToken: cancellationToken);
                    data.numericIds = [.. ints.Select(i => (long?)i)];
                }
                else
                {
                    data.numericIds = new long?[data.Count];
                    await group.ReadAsync<long>(id, data.numericIds, cancellationToken: cancellationToken);
                }
            }

            return data;
        }

        static async Task<string?[]> ReadStrings(ParquetRowGroupReader group, DataField field, int count, CancellationToken cancellationToken)
        {
            string[] values = new string[count];
            await group.ReadAsync(field, values, cancellationToken: cancellationToken);
            return values;
        }

        public string ToJson(int row)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                if (stringIds?[row] is { Length: > 0 } sid)
                {
                    writer.WriteString("id", sid);
                }
                else if (numericIds?[row] is { } nid)
                {
                    writer.WriteNumber("id", nid);
                }

                foreach ((string name, string?[] values) in strings)
                {
                    if (values[row] is { } value)
                    {
                        writer.WriteString(name, value);
                    }
                }

                writer.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }
}
