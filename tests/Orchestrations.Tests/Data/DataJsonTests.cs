using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using GenAiServerless.Data;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>The Data stage's source-generated JSON (<see cref="DataJson"/>) writes what reflection wrote before, byte for
/// byte: the reflection side is the stage's old code (anonymous types, <c>Write(object)</c>) kept here as the reference.</summary>
public sealed class DataJsonTests
{
    static readonly JsonSerializerOptions ReflectionIndented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    static readonly JsonSerializerOptions ReflectionLines = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    static readonly DataPolicy Policy = new(
        0.1, 0.05, 20_000, 5000, DataQualityPresets.Documents, 8L * 1024 * 1024,
        new RecordSchema { Shapes = RecordShapes.Text | RecordShapes.Messages, MetadataFields = ["lang", "url"] },
        new InputOptions { TextColumns = CsvTextColumns.PromptResponseIn("q", "a") with { IdColumn = "key" }, CsvSeparator = ';' },
        ParquetOutput: true,
        Index: new IndexPolicy(4, TimeSpan.FromHours(36)));

    [Fact]
    public void Manifest_SourceGenerated_WritesTheBytesReflectionWrote()
    {
        var reasons = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["invalid_utf8"] = 2, ["bad_file"] = 1 };
        var filtered = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["gopher_repetition"] = 3, ["c4_lines"] = 1 };
        var pii = new PiiCounts(1, 2, 3, 4, 5, 6, 7);
        List<string> quarantinedFiles = ["/in/bad.jsonl: not JSONL: no line is a JSON record (line 1: 'é' <b>)"];
        List<ShardInfo> outputs = [new("curated/m/r/train-00000-000.jsonl", DataSplit.Train, 10, "ab"), new("curated/m/r/test-00000-000.jsonl", DataSplit.Test, 1, "cd")];
        DropBlob[] drops = [new("a.jsonl", "0x8DC", 100), new("sub/b.csv", "e1", 7)];

        var reflection = new
        {
            model = "m",
            runId = "r",
            tool = DataStage.ToolVersion,
            parameters = Policy,
            inputs = drops.Select(d => new { blob = "/in/" + d.BlobName, etag = d.ETag, bytes = d.Length }),
            shards = drops.Select((d, i) => new { index = i, file = "/in/" + d.BlobName, offset = 0L, length = d.Length, firstLine = 1L }),
            counts = new { read = 11L, curated = 8L, quarantined = 2L, exactDuplicates = 1L, nearDuplicates = 0L, filtered = 4L, train = 6, validation = 1, test = 1 },
            rejectReasons = reasons,
            filteredByRule = filtered,
            piiRedacted = new { email = pii.Email, phone = pii.Phone, card = pii.Card, iban = pii.Iban, ip = pii.Ip, nationalId = pii.NationalId, secret = pii.Secret },
            nearDuplicateSearch = new { candidatePairs = 5L, confirmedPairs = 3L, exactJaccardChecks = 4L, indexedRecords = 8 },
            quarantinedFiles,
            outputs,
        };
        var generated = new DataManifest(
            "m", "r", DataStage.ToolVersion, Policy,
            [.. drops.Select(d => new DataManifestInput("/in/" + d.BlobName, d.ETag, d.Length))],
            [.. drops.Select((d, i) => new DataManifestShard(i, "/in/" + d.BlobName, 0, d.Length, 1))],
            new DataManifestCounts(11, 8, 2, 1, 0, 4, 6, 1, 1),
            reasons, filtered, DataManifestPii.From(pii), new DataManifestNearDuplicates(5, 3, 4, 8), quarantinedFiles, outputs);

        Assert.Equal(
            JsonSerializer.SerializeToUtf8Bytes(reflection, ReflectionIndented),
            JsonSerializer.SerializeToUtf8Bytes(generated, DataJson.Indented.DataManifest));
    }

    [Fact]
    public void Manifest_DefaultPolicy_WritesNullsAsReflectionDid()
    {
        var policy = new DataPolicy(0.1, 0.1, 2000, 1000);
        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(policy, ReflectionIndented), JsonSerializer.SerializeToUtf8Bytes(policy, DataJson.Indented.DataPolicy));
    }

    [Fact]
    public void Lines_SourceGenerated_WriteTheBytesReflectionWrote()
    {
        const string id = "ïd-1 <EMAIL>", source = "/in/a.jsonl:3";
        (object Reflection, DroppedRecord Generated)[] dropped =
        [
            (new { id, source, rule = "gopher_quality", detail = "mean word length 12.5 > 10 & \"quoted\"" }, new DroppedRecord(id, source, "gopher_quality", Detail: "mean word length 12.5 > 10 & \"quoted\"")),
            (new { id, source, rule = "quality", detail = (string?)null }, new DroppedRecord(id, source, "quality")),
            (new { id, source, rule = "exact_duplicate", duplicateOf = "k-1" }, new DroppedRecord(id, source, "exact_duplicate", DuplicateOf: "k-1")),
            (new { id, source, rule = "near_duplicate", duplicateOf = "/in/a.jsonl:1@r", matchedWith = "/in/a.jsonl:2@r", jaccard = Math.Round(0.83333333, 3) },
                new DroppedRecord(id, source, "near_duplicate", DuplicateOf: "/in/a.jsonl:1@r", MatchedWith: "/in/a.jsonl:2@r", Jaccard: Math.Round(0.83333333, 3))),
            (new { id, source, rule = "near_duplicate", duplicateOf = "x@r0", matchedWith = "x@r0", estimatedJaccard = 1.0 },
                new DroppedRecord(id, source, "near_duplicate", DuplicateOf: "x@r0", MatchedWith: "x@r0", EstimatedJaccard: 1.0)),
        ];
        foreach ((object reflection, DroppedRecord generated) in dropped)
        {
            Assert.Equal(JsonSerializer.Serialize(reflection, ReflectionLines), JsonSerializer.Serialize(generated, DataJson.Lines.DroppedRecord));
        }

        RejectedRecord[] rejected =
        [
            new("/in/a.jsonl", 7, "invalid_json", "not valid JSON: 'x' <here>", "{\"text\": \"é\u2028\t"),
            new("/in/a.jsonl", 9, "invalid_utf8", "byte 0xFF at 3", "ab\uFFFD", "YWL/"),
        ];
        foreach (RejectedRecord record in rejected)
        {
            Assert.Equal(JsonSerializer.Serialize<object>(record, ReflectionLines), JsonSerializer.Serialize(record, DataJson.Lines.RejectedRecord));
        }
    }

    [Fact]
    public void IndexManifest_WrittenByReflection_ReadsAndRewritesTheSameBytes()
    {
        var manifest = new IndexManifest("run-2", "run-1", [new IndexSegment("_index/segments/a.lsh", 10), new IndexSegment("_index/segments/b.lsh", 5)]);
        byte[] reflection = JsonSerializer.SerializeToUtf8Bytes(manifest, ReflectionIndented);

        IndexManifest read = JsonSerializer.Deserialize(reflection, DataJson.Indented.IndexManifest)!;

        Assert.Equal(manifest.Run, read.Run);
        Assert.Equal(manifest.Base, read.Base);
        Assert.Equal(manifest.Segments, read.Segments);
        Assert.Equal(reflection, JsonSerializer.SerializeToUtf8Bytes(read, DataJson.Indented.IndexManifest));
    }
}
