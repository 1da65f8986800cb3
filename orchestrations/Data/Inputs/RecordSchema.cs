using System.Runtime.InteropServices;
using System.Text.Json;

namespace GenAiServerless.Data.Inputs;

/// <summary>The record shapes a model may take as training data.</summary>
[Flags]
public enum RecordShapes
{
    None = 0,

    /// <summary><c>{"text": …}</c>.</summary>
    Text = 1,

    /// <summary><c>{"prompt": …, "response": …}</c>.</summary>
    PromptResponse = 2,

    /// <summary><c>{"messages": [{"role": …, "content": …}, …]}</c>.</summary>
    Messages = 4,

    Any = Text | PromptResponse | Messages,
}

/// <summary>A model's record schema: the shapes it accepts, the metadata fields kept with a record, and the largest
/// record in bytes.</summary>
/// <remarks>A record's shape is the first that it has of <c>text</c>, <c>prompt</c>+<c>response</c>, <c>messages</c>;
/// other fields not named in <see cref="MetadataFields"/> are dropped from the curated record, never a reason to reject.</remarks>
public sealed record RecordSchema
{
    /// <summary>Any shape, no metadata kept, records up to 1 MiB.</summary>
    public static RecordSchema Default { get; } = new();

    /// <summary>The accepted shapes (<see cref="RecordShapes.Any"/> by default).</summary>
    public RecordShapes Shapes { get; init; } = RecordShapes.Any;

    /// <summary>Optional fields kept with a curated record, such as <c>source</c> or <c>lang</c>.</summary>
    public IReadOnlyList<string> MetadataFields { get; init; } = [];

    /// <summary>The largest record, in bytes of its UTF-8 JSON.</summary>
    public int MaxRecordBytes { get; init; } = 1024 * 1024;

    /// <summary>Whether the field <paramref name="name"/> is kept with a curated record.</summary>
    public bool Keeps(string name) => MetadataFields.Contains(name, StringComparer.Ordinal);

    /// <summary>Checks a record against the schema; false with a reason "code: detail", the code one of
    /// <c>not_an_object</c>, <c>too_large</c>, <c>missing_text</c>, <c>wrong_shape</c>, <c>invalid_messages</c>,
    /// <c>invalid_id</c>, <c>invalid_metadata</c>.</summary>
    public bool Validate(JsonElement record, out string reason)
    {
        reason = Check(record) ?? "";
        return reason.Length == 0;
    }

    /// <summary>The shape of a record (<see cref="RecordShapes.None"/> when it has none): for callers that go on to read it.</summary>
    public static RecordShapes ShapeOf(JsonElement record) =>
        record.ValueKind != JsonValueKind.Object ? RecordShapes.None
        : HasString(record, "text") ? RecordShapes.Text
        : HasString(record, "prompt") && HasString(record, "response") ? RecordShapes.PromptResponse
        : record.TryGetProperty("messages", out _) ? RecordShapes.Messages
        : RecordShapes.None;

    string? Check(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object)
        {
            return $"not_an_object: expected a JSON object, found {record.ValueKind.ToString().ToLowerInvariant()}";
        }

        // The bytes as parsed, measured without copying them.
        int size = JsonMarshal.GetRawUtf8Value(record).Length;
        if (size > MaxRecordBytes)
        {
            return $"too_large: the record has {size} bytes; the limit is {MaxRecordBytes}";
        }

        RecordShapes shape = ShapeOf(record);
        if (shape == RecordShapes.None)
        {
            bool hasPrompt = HasString(record, "prompt"), hasResponse = HasString(record, "response");
            string missing = hasPrompt ? "'response'" : hasResponse ? "'prompt'" : $"any of {Describe(Shapes)}";
            return $"missing_text: field {missing} is missing, empty or not a string";
        }

        if ((Shapes & shape) == 0)
        {
            return $"wrong_shape: the record has {Describe(shape)}; this model takes {Describe(Shapes)}";
        }

        if (shape == RecordShapes.Messages)
        {
            _ = ChatRecords.Flatten(record.GetProperty("messages"), out string? error);
            if (error is not null)
            {
                return $"invalid_messages: {error}";
            }
        }

        if (record.TryGetProperty("id", out JsonElement id)
            && (id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number) || (id.ValueKind == JsonValueKind.String && id.GetString()!.Length == 0)))
        {
            return $"invalid_id: field 'id' must be a non-empty string or a number, found {id.ValueKind.ToString().ToLowerInvariant()}";
        }

        foreach (string field in MetadataFields)
        {
            if (record.TryGetProperty(field, out JsonElement value) && value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                return $"invalid_metadata: metadata field '{field}' must be a string, number, boolean or null, found {value.ValueKind.ToString().ToLowerInvariant()}";
            }
        }

        return null;
    }

    static bool HasString(JsonElement record, string name) =>
        record.TryGetProperty(name, out JsonElement el) && el.ValueKind == JsonValueKind.String && !IsBlank(el);

    /// <summary>Whether a JSON string is empty or white space, decided from its raw bytes when they make it plain (a
    /// text of a kilobyte is not decoded just to see its first letter).</summary>
    static bool IsBlank(JsonElement value)
    {
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(value);
        ReadOnlySpan<byte> content = raw.Length >= 2 && raw[0] == (byte)'"' ? raw[1..^1] : raw;
        int first = content.IndexOfAnyExcept(" \t\n\r"u8);
        if (first < 0)
        {
            return true;
        }

        // An escape (\u00a0 is white space) or a non-ASCII character (U+3000 is too): decode and let .NET decide.
        byte b = content[first];
        return (b == (byte)'\\' || b >= 0x80) && string.IsNullOrWhiteSpace(value.GetString());
    }

    static string Describe(RecordShapes shapes) => string.Join(" or ", new[]
    {
        (shapes & RecordShapes.Text) != 0 ? "'text'" : null,
        (shapes & RecordShapes.PromptResponse) != 0 ? "'prompt'+'response'" : null,
        (shapes & RecordShapes.Messages) != 0 ? "'messages'" : null,
    }.OfType<string>());
}
