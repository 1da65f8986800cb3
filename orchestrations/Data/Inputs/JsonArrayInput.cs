using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace GenAiServerless.Data.Inputs;

/// <summary>Reads a <c>.json</c> file that holds one JSON array of records (<c>[{…},{…}]</c>, which Hugging Face's
/// <c>load_dataset("json")</c> and pandas' <c>read_json</c> accept beside JSON Lines), one element at a time.</summary>
/// <remarks>Each element is passed on as a JSONL line is: its raw JSON text, positioned by its 1-based index in the
/// array, so the curator rejects one that is not an object as it rejects such a line. Damage to the array itself
/// (unterminated, text between or after elements, an element larger than <see cref="InputOptions.MaxRecordBytes"/>)
/// leaves the boundaries after it unknowable: the elements before it stand, and the rest of the file becomes one
/// <c>invalid_json</c> record naming its byte offset — unless no element was read yet or the rest is larger than a
/// record may be, when the whole file is unreadable (quarantined whole, so nothing is lost). Memory: one element.</remarks>
internal static class JsonArrayInput
{
    /// <summary>True for a <c>.json</c> or <c>.json.gz</c> file: a JSON document, which may be an array of records
    /// rather than JSON Lines.</summary>
    public static bool MayBeArray(string file) =>
        file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads the file's first bytes up to its first non-whitespace byte (after an optional UTF-8 byte order
    /// mark), at most <paramref name="maxBytes"/>; true if that byte is <c>[</c>. The bytes read are returned: the
    /// reader of the file starts with them.</summary>
    public static async Task<(byte[] Head, bool IsArray)> SniffAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var head = new ArrayBufferWriter<byte>(256);
        while (head.WrittenCount < maxBytes)
        {
            int n = await stream.ReadAsync(head.GetMemory(256)[..256], cancellationToken);
            if (n == 0)
            {
                break;
            }

            head.Advance(n);
            ReadOnlySpan<byte> text = head.WrittenSpan;
            if (text.Length < 3 && "\uFEFF"u8.StartsWith(text))
            {
                continue; // perhaps the start of a byte order mark
            }

            text = text.StartsWith("\uFEFF"u8) ? text[3..] : text;
            int first = text.IndexOfAnyExcept(" \t\r\n"u8);
            if (first >= 0)
            {
                return (head.WrittenSpan.ToArray(), text[first] == (byte)'[');
            }
        }

        return (head.WrittenSpan.ToArray(), false);
    }

    /// <summary>Reads the array that <paramref name="stream"/> holds (its first non-whitespace byte is <c>[</c>).</summary>
    public static async IAsyncEnumerable<SourceItem> ReadAsync(
        string file, Stream stream, bool gzip, InputOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var elements = new ElementSplitter(stream, options.MaxRecordBytes);
        while (true)
        {
            Step step;
            try
            {
                step = await elements.NextAsync(cancellationToken);
            }
            catch (InvalidDataException e) when (gzip)
            {
                throw UnreadableFileException.NotGzip(file, e);
            }

            if (step == Step.End)
            {
                yield break;
            }

            long index = elements.Index;
            if (step == Step.Element)
            {
                ReadOnlySpan<byte> element = elements.Element;
                if (InvalidUtf8.Check(file, index, $"array element {index}", element) is { } invalid)
                {
                    yield return invalid;
                    continue;
                }

                string text = Encoding.UTF8.GetString(element);
                yield return new SourceRecord(file, index, text, text);
                continue;
            }

            long offset = elements.Offset;
            string why = $"the JSON array cannot be read from byte {offset}: {elements.Error}";
            if (index == 0)
            {
                throw new UnreadableFileException(file, why);
            }

            byte[]? rest;
            try
            {
                rest = await elements.ReadRestAsync(cancellationToken);
            }
            catch (InvalidDataException e) when (gzip)
            {
                throw UnreadableFileException.NotGzip(file, e);
            }

            if (rest is null)
            {
                throw new UnreadableFileException(file, $"{why}; the {index} elements before it were read, but the rest of the file is larger than a record may be ({options.MaxRecordBytes} bytes), so the file is kept whole");
            }

            // Records cannot be told apart from here on: the rest of the file is quarantined as one record.
            string detail = $"{why}; elements 1–{index} were read, and the rest of the file (bytes {offset}–{offset + rest.Length}) is kept here";
            bool utf8 = Utf8.IsValid(rest);
            yield return new UnreadableRecord(file, index + 1, "invalid_json", detail, Encoding.UTF8.GetString(rest), utf8 ? null : Convert.ToBase64String(rest));
            yield break;
        }
    }

    enum Step
    {
        Element,
        End,
        Malformed,
    }

    /// <summary>Finds the array's elements in a growing buffer with <see cref="Utf8JsonReader"/>, resuming from its
    /// saved state after each read.</summary>
    sealed class ElementSplitter(Stream stream, int maxElementBytes)
    {
        byte[] buffer = new byte[64 * 1024];
        int start, end, elementStart, elementEnd;
        long bufferOffset;
        bool eof, opened, closed;
        JsonReaderState state; // default options: strict JSON, no comments or trailing commas

        /// <summary>The 1-based index of the current element; the number of elements read once the array ends.</summary>
        public long Index { get; private set; }

        /// <summary>The current element's JSON text; valid until the next step.</summary>
        public ReadOnlySpan<byte> Element => buffer.AsSpan(elementStart, elementEnd - elementStart);

        /// <summary>Why the array cannot be read on, after <see cref="Step.Malformed"/>.</summary>
        public string? Error { get; private set; }

        /// <summary>The file offset of the first byte not yet taken: after the last element read.</summary>
        public long Offset => bufferOffset + start;

        public async ValueTask<Step> NextAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                Step? step = TryNext();
                if (step is { } found)
                {
                    return found;
                }

                if (eof)
                {
                    Error = closed ? null : $"the file ends before the array is closed (after element {Index})";
                    return closed ? Step.End : Step.Malformed;
                }

                if (start == 0 && end == buffer.Length)
                {
                    if (buffer.Length > maxElementBytes)
                    {
                        Error = $"element {Index + 1} is larger than a record may be ({maxElementBytes} bytes)";
                        return Step.Malformed;
                    }

                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                else if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    bufferOffset += start;
                    end -= start;
                    start = 0;
                }

                int n = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
                eof = n == 0;
                end += n;
            }
        }

        /// <summary>The next element or the end, or null when the buffer holds too little to tell.</summary>
        Step? TryNext()
        {
            if (closed)
            {
                // Only whitespace may follow the array.
                int text = buffer.AsSpan(start, end - start).IndexOfAnyExcept(" \t\r\n"u8);
                if (text >= 0)
                {
                    start += text;
                    Error = $"text after the array's closing bracket (after element {Index})";
                    return Step.Malformed;
                }

                start = end;
                return eof ? Step.End : null;
            }

            if (!opened && bufferOffset + start == 0 && buffer.AsSpan(start, end - start).StartsWith("\uFEFF"u8))
            {
                start += 3;
            }

            var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), eof, state);
            try
            {
                if (!opened)
                {
                    if (!reader.Read())
                    {
                        return null;
                    }

                    opened = true;
                    Take(ref reader);
                    reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), eof, state);
                }

                if (!reader.Read())
                {
                    return null;
                }

                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    closed = true;
                    Take(ref reader);
                    return TryNext();
                }

                int from = start + (int)reader.TokenStartIndex;
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    // Nothing is taken until the element is whole: with more bytes, the reader starts it over.
                    int depth = reader.CurrentDepth;
                    do
                    {
                        if (!reader.Read())
                        {
                            return null;
                        }
                    }
                    while (reader.CurrentDepth != depth || reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray));
                }

                (elementStart, elementEnd) = (from, start + (int)reader.BytesConsumed);
                Take(ref reader);
                Index++;
                return Step.Element;
            }
            catch (JsonException e)
            {
                Error = $"element {Index + 1}: {e.Message}";
                return Step.Malformed;
            }
        }

        void Take(ref Utf8JsonReader reader)
        {
            start += (int)reader.BytesConsumed;
            state = reader.CurrentState;
        }

        /// <summary>The bytes from <see cref="Offset"/> to the end of the file, or null if there are more than an element may have.</summary>
        public async Task<byte[]?> ReadRestAsync(CancellationToken cancellationToken)
        {
            var rest = new ArrayBufferWriter<byte>(Math.Max(end - start, 1));
            rest.Write(buffer.AsSpan(start, end - start));
            while (rest.WrittenCount <= maxElementBytes)
            {
                int n = await stream.ReadAsync(rest.GetMemory(64 * 1024), cancellationToken);
                if (n == 0)
                {
                    return rest.WrittenSpan.ToArray();
                }

                rest.Advance(n);
            }

            return null;
        }
    }
}
