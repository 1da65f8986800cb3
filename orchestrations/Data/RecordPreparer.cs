using System.Buffers;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Data.Quality;

namespace GenAiServerless.Data;

/// <summary>What <see cref="RecordPreparer.Prepare"/> made of one record: a curated record, a rejection (reason code
/// and detail) or a quality drop.</summary>
public readonly record struct PreparedRecord(CuratedRecord? Record, string? Reason, string? Detail, FilterDecision? Filtered, PiiCounts Pii)
{
    public bool IsInvalidJson => Reason == "invalid_json";
}

/// <summary>Turns one record's JSON into a curated record: validates it against the model's <see cref="RecordSchema"/>,
/// normalises its text, applies PII redaction and the quality filters, and gives it an id and a split. Pure and
/// thread-safe: the per-record step of every shard (the pipeline, <c>genai curate</c> and the benchmarks).</summary>
/// <remarks>A record is an object with a non-empty <c>text</c>, or non-empty <c>prompt</c> and <c>response</c>, or a chat
/// <c>messages</c> list. The optional <c>id</c> (string or number) keeps the split stable across reruns; without one the
/// id is a hash of the normalised text, which is just as stable.</remarks>
public sealed class RecordPreparer(double validationFraction, double testFraction, int maxRecordChars, QualityPipeline? quality = null, RecordSchema? schema = null)
{
    readonly RecordSchema schema = schema ?? RecordSchema.Default;

    [ThreadStatic]
    static byte[]? utf8Buffer;

    public PreparedRecord Prepare(string file, long line, string json)
    {
        (CuratedRecord? record, string? reason, string? detail) = Parse(file, line, json);
        if (record is null)
        {
            return new PreparedRecord(null, reason, detail, null, default);
        }

        if (quality is null)
        {
            return new PreparedRecord(record, null, null, null, default);
        }

        // Quality after normalising and before deduplication, so the hash sees the text as it will be kept.
        QualityOutcome outcome = quality.Apply(record.Text);
        if (!outcome.Kept)
        {
            return new PreparedRecord(record, null, null, outcome.Decision, default);
        }

        return new PreparedRecord(
            record with
            {
                Text = outcome.Text!,
                Prompt = record.Prompt is null ? null : PiiRedactor.All.Redact(record.Prompt).Text,
                Response = record.Response is null ? null : PiiRedactor.All.Redact(record.Response).Text,
            },
            null,
            null,
            null,
            outcome.Pii);
    }

    (CuratedRecord?, string?, string?) Parse(string file, long line, string raw)
    {
        JsonDocument doc;
        try
        {
            // Parsed from UTF-8 in a buffer this thread keeps: JsonDocument.Parse(string) would rent, transcode into and
            // clear a new buffer for every record.
            int length = Encoding.UTF8.GetMaxByteCount(raw.Length);
            byte[] buffer = utf8Buffer is { } b && b.Length >= length ? b : utf8Buffer = new byte[Math.Max(length, 64 * 1024)];
            int written = Encoding.UTF8.GetBytes(raw, buffer);
            doc = JsonDocument.Parse(buffer.AsMemory(0, written));
        }
        catch (JsonException e)
        {
            return (null, "invalid_json", $"not valid JSON: {e.Message}");
        }

        using (doc)
        {
            try
            {
                return Read(file, line, doc.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // A string escape that is not valid UTF-16 (a lone surrogate such as \ud800): well-formed JSON, unreadable text.
                return (null, "invalid_text", $"a string cannot be read as text: {e.Message}");
            }
        }
    }

    (CuratedRecord?, string?, string?) Read(string file, long line, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "not_an_object", $"expected a JSON object, found {root.ValueKind}");
        }

        string? text = StringField(root, "text");
        string? prompt = StringField(root, "prompt");
        string? response = StringField(root, "response");
        if (text is null && prompt is null && response is null && root.TryGetProperty("messages", out JsonElement messages))
        {
            // A chat record: its turns flattened to "role: content" lines.
            text = ChatRecords.Flatten(messages, out string? chatError);
            if (text is null)
            {
                return (null, "invalid_messages", chatError ?? "field 'messages' is not a valid list of turns");
            }
        }

        if (text is null && (prompt is null || response is null))
        {
            string missing = prompt is not null ? "'response'" : response is not null ? "'prompt'" : "'text' (or 'prompt' and 'response')";
            return (null, "missing_text", $"field {missing} is missing, empty or not a string");
        }

        // The model's schema: accepted shapes, size in bytes, id and metadata types.
        if (!schema.Validate(root, out string schemaError))
        {
            int colon = schemaError.IndexOf(':', StringComparison.Ordinal);
            return (null, schemaError[..colon], schemaError[(colon + 1)..].Trim());
        }

        prompt = prompt is null ? null : TextNormalizer.Normalize(prompt);
        response = response is null ? null : TextNormalizer.Normalize(response);
        string normalized = text is not null ? TextNormalizer.Normalize(text) : $"{prompt}\n{response}";
        if (normalized.Trim().Length == 0)
        {
            return (null, "missing_text", "text is empty after normalisation");
        }

        if (normalized.Length > maxRecordChars)
        {
            return (null, "too_long", $"text has {normalized.Length} characters; the limit is {maxRecordChars}");
        }

        string id = root.TryGetProperty("id", out JsonElement idEl) && idEl.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? idEl.ToString()
            : "h" + XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(normalized)).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        if (id.Length == 0)
        {
            return (null, "invalid_id", "field 'id' is empty");
        }

        return (new CuratedRecord(id, normalized, prompt, response, $"{file}:{line}", SplitOf(id), Metadata(root)), null, null);
    }

    /// <summary>The schema's metadata fields present in the record, as one compact JSON object; null when there are none.</summary>
    string? Metadata(JsonElement root)
    {
        if (schema.MetadataFields.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        bool any = false;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (string field in schema.MetadataFields)
            {
                if (root.TryGetProperty(field, out JsonElement value))
                {
                    writer.WritePropertyName(field);
                    value.WriteTo(writer);
                    any = true;
                }
            }

            writer.WriteEndObject();
        }

        return any ? Encoding.UTF8.GetString(buffer.WrittenSpan) : null;
    }

    static string? StringField(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement el) && el.ValueKind == JsonValueKind.String && el.GetString() is { Length: > 0 } s && s.Trim().Length > 0
            ? s
            : null;

    /// <summary>The split of a record id: a fixed function of the id alone, so it is stable across reruns and drops.</summary>
    public DataSplit SplitOf(string id)
    {
        ulong h = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(id), seed: 0x5EED);
        double u = (h >> 11) * (1.0 / (1UL << 53));
        return u < testFraction ? DataSplit.Test : u < testFraction + validationFraction ? DataSplit.Validation : DataSplit.Train;
    }
}
