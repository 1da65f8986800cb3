using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GenAiServerless.Data;

/// <summary>The JSON the Data stage writes and reads, source-generated so the stage needs no reflection (the native
/// <c>genai-curate</c> is compiled ahead of time and trimmed). Both are the web defaults (camelCase names, enums as
/// numbers) the stage wrote with reflection before, byte for byte.</summary>
public static class DataJson
{
    /// <summary>Documents: <c>manifest.json</c> and the near-duplicate index's manifests, indented, nulls written.</summary>
    public static DataIndentedJsonContext Indented { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    /// <summary>Lines of <c>dropped.jsonl</c> and the quarantine's <c>records.jsonl</c>, by every step that adds to them:
    /// nulls left out, placeholders such as <c>&lt;EMAIL&gt;</c> kept readable.</summary>
    public static DataLineJsonContext Lines { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

/// <summary>Metadata of the documents the Data stage writes (<see cref="DataJson.Indented"/>).</summary>
[JsonSerializable(typeof(DataManifest))]
[JsonSerializable(typeof(IndexManifest))]
public sealed partial class DataIndentedJsonContext : JsonSerializerContext;

/// <summary>Metadata of the JSON lines the Data stage writes (<see cref="DataJson.Lines"/>).</summary>
[JsonSerializable(typeof(RejectedRecord))]
[JsonSerializable(typeof(DroppedRecord))]
public sealed partial class DataLineJsonContext : JsonSerializerContext;
