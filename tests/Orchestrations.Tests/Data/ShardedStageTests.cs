using System.Text;
using GenAiServerless.Data;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>The stage cut into byte-range shards: boundaries, line numbers, whole-file verdicts across shards, and
/// outputs that do not depend on the sharding or the thread count.</summary>
public sealed class ShardedStageTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"sharded-{Guid.NewGuid():N}");

    string In => Path.Combine(root, "in");

    string Out(string name) => Path.Combine(root, name);

    static DataPrepInput Input(string runId, long shardBytes, params DropBlob[] drops) =>
        new("shop", runId, drops, new DataPolicy(0.1, 0.1, 2000, 50, DataQualityPresets.Off, shardBytes));

    DropBlob Drop(string name, byte[] content)
    {
        Directory.CreateDirectory(In);
        File.WriteAllBytes(Path.Combine(In, name), content);
        return new DropBlob(name, name + "-v1", content.Length);
    }

    DropBlob Drop(string name, string content) => Drop(name, Encoding.UTF8.GetBytes(content));

    static readonly string[] Words = ["spot", "eviction", "checkpoint", "model", "region", "price", "gpu", "queue", "drift", "alert", "rollout", "canary", "probe", "token", "batch", "shard"];

    /// <summary>A sentence of 14 words drawn from <see cref="Words"/> by <paramref name="seed"/>: distinct seeds give unrelated texts.</summary>
    static string Sentence(int seed)
    {
        var rng = new Random(seed);
        return "the " + string.Join(' ', Enumerable.Range(0, 14).Select(_ => Words[rng.Next(Words.Length)])) + $" number {seed}";
    }

    /// <summary>400 lines: good records, exact duplicates far apart, near duplicates, invalid lines, PII, a blank line.</summary>
    static string MixedJsonl()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 400; i++)
        {
            string line = (i % 50) switch
            {
                7 => "{not json",
                13 => """{"id":"missing"}""",
                21 => $$"""{"id":"dup{{i}}","text":"{{Sentence(1)}}"}""",
                33 => $$"""{"id":"near{{i}}","text":"{{Sentence(2)}} tail{{i}}"}""",
                34 => $$"""{"id":"pii{{i}}","text":"write to ann{{i}}@example.com about {{Sentence(i)}}"}""",
                45 => "",
                _ => $$"""{"id":"r{{i}}","text":"{{Sentence(1000 + i)}}"}""",
            };
            sb.Append(line).Append('\n');
        }

        sb.Append("""{"id":"near-base","text":" """.TrimEnd() + Sentence(2) + "\"}\n");
        return sb.ToString();
    }

    [Fact]
    public async Task PlanAsync_LargeJsonl_CutsAfterLineBreaksAndNumbersLinesInTheWholeFile()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(MixedJsonl());
        DropBlob drop = Drop("big.jsonl", bytes);

        DataShardPlan plan = await ShardPlanner.PlanAsync(new FolderDataStore(In, Out("p")), Input("run-p", 4096, drop), CancellationToken.None);

        Assert.True(plan.Shards.Count > 5, $"{plan.Shards.Count} shards");
        long next = 0;
        foreach (DataShard shard in plan.Shards)
        {
            Assert.Equal(next, shard.Offset);
            Assert.Equal(bytes.AsSpan(0, (int)shard.Offset).Count((byte)'\n') + 1, shard.FirstLine);
            Assert.Equal((byte)'\n', bytes[shard.Offset + shard.Length - 1]);
            Assert.True(shard.Length >= 4096 || shard == plan.Shards[^1]);
            next = shard.Offset + shard.Length;
        }

        Assert.Equal(bytes.Length, next);
    }

    [Fact]
    public async Task PlanAsync_CsvWithQuotedLineBreaks_NeverCutsInsideQuotesAndCarriesTheHeader()
    {
        var csv = new StringBuilder("id,text\n");
        for (int i = 0; i < 300; i++)
        {
            if (i % 3 == 0)
            {
                csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"c{i},\"{Sentence(i)}\nsecond line of row {i}, with a comma\"\n");
            }
            else
            {
                csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"c{i},{Sentence(i)}\n");
            }
        }

        byte[] bytes = Encoding.UTF8.GetBytes(csv.ToString());
        DropBlob drop = Drop("rows.csv", bytes);

        DataShardPlan plan = await ShardPlanner.PlanAsync(new FolderDataStore(In, Out("q")), Input("run-q", 2048, drop), CancellationToken.None);

        Assert.True(plan.Shards.Count > 3);
        Assert.Null(plan.Shards[0].CsvHeader);
        foreach (DataShard shard in plan.Shards.Skip(1))
        {
            Assert.Equal("id,text\n", shard.CsvHeader);
            Assert.Equal(0, bytes.AsSpan(0, (int)shard.Offset).Count((byte)'"') % 2);
            Assert.Equal((byte)'c', bytes[shard.Offset]);
        }

        // Curated whole or in shards, the same rows come out with the same line numbers.
        DataPrepResult sharded = await DataStage.RunAsync(new FolderDataStore(In, Out("qs")), Input("run-q", 2048, drop), NullLogger.Instance, CancellationToken.None, threads: 2);
        DataPrepResult whole = await DataStage.RunAsync(new FolderDataStore(In, Out("qw")), Input("run-q", 1 << 30, drop), NullLogger.Instance, CancellationToken.None);
        Assert.Equal(300, sharded.RecordsRead);
        Assert.Equal(whole.RecordsCurated, sharded.RecordsCurated);
        Assert.Equal(CuratedLines(Out("qw"), "run-q"), CuratedLines(Out("qs"), "run-q"));
        Assert.Contains($"\"source\":\"{Path.Combine(In, "rows.csv")}:5\"", string.Join('\n', CuratedLines(Out("qs"), "run-q")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ShardedOrWhole_SameRecordsSameAccounting()
    {
        DropBlob drop = Drop("mixed.jsonl", MixedJsonl());

        DataPrepResult sharded = await DataStage.RunAsync(new FolderDataStore(In, Out("s")), Input("run-m", 3000, drop), NullLogger.Instance, CancellationToken.None, threads: 3);
        DataPrepResult whole = await DataStage.RunAsync(new FolderDataStore(In, Out("w")), Input("run-m", 1 << 30, drop), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(whole with { ManifestSha256 = "" }, sharded with { ManifestSha256 = "" }, new ResultComparer());
        Assert.Equal(CuratedLines(Out("w"), "run-m"), CuratedLines(Out("s"), "run-m"));
        Assert.Equal(Sorted(Path.Combine(Out("w"), "curated", "shop", "run-m", "dropped.jsonl")), Sorted(Path.Combine(Out("s"), "curated", "shop", "run-m", "dropped.jsonl")));
        Assert.Equal(
            File.ReadAllText(Path.Combine(Out("w"), "quarantine", "shop", "run-m", "records.jsonl")),
            File.ReadAllText(Path.Combine(Out("s"), "quarantine", "shop", "run-m", "records.jsonl")));

        // 7 exact duplicates of line 22 (ids dup71, dup121, …), found across shards; the earliest copy is kept.
        Assert.Equal(7, sharded.ExactDuplicates);
        string dropped = File.ReadAllText(Path.Combine(Out("s"), "curated", "shop", "run-m", "dropped.jsonl"));
        Assert.Contains("""{"id":"dup71","source":""", dropped, StringComparison.Ordinal);
        Assert.Contains("\"rule\":\"exact_duplicate\",\"duplicateOf\":\"dup21\"", dropped, StringComparison.Ordinal);

        // One sentence with 8 different tails and once plain at the end (exact Jaccard 0.87–0.93): only the earliest is kept.
        Assert.Equal(8, sharded.NearDuplicates);
        Assert.Contains("\"rule\":\"near_duplicate\"", dropped, StringComparison.Ordinal);
        Assert.Contains("\"jaccard\":", dropped, StringComparison.Ordinal);

        // Invalid lines keep their line in the whole file, whichever shard read them.
        string quarantined = File.ReadAllText(Path.Combine(Out("s"), "quarantine", "shop", "run-m", "records.jsonl"));
        Assert.Contains("\"line\":358,\"reason\":\"invalid_json\"", quarantined, StringComparison.Ordinal);
        Assert.Contains("\"line\":364,\"reason\":\"missing_text\"", quarantined, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Out("s"), "curated", "shop", "run-m", "_work")), "working files are removed");
    }

    [Fact]
    public async Task RunAsync_AnyThreadCount_ByteIdenticalOutputs()
    {
        DropBlob drop = Drop("mixed.jsonl", MixedJsonl());

        await DataStage.RunAsync(new FolderDataStore(In, Out("t1")), Input("run-t", 2500, drop), NullLogger.Instance, CancellationToken.None, threads: 1);
        await DataStage.RunAsync(new FolderDataStore(In, Out("t4")), Input("run-t", 2500, drop), NullLogger.Instance, CancellationToken.None, threads: 4);

        string a = Path.Combine(Out("t1"), "curated", "shop", "run-t"), b = Path.Combine(Out("t4"), "curated", "shop", "run-t");
        string[] names = [.. Directory.GetFiles(a).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
        Assert.Equal(names, Directory.GetFiles(b).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains("train-00003-000.jsonl", names);
        foreach (string name in names)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, name)), File.ReadAllBytes(Path.Combine(b, name)));
        }
    }

    [Fact]
    public async Task RunAsync_InvalidUtf8OnSomeLinesAcrossShards_QuarantinesThoseLinesAndKeepsEveryValidLine()
    {
        string[] lines = MixedJsonl().Split('\n');
        byte[][] bad =
        [
            [.. "{\"id\":\"bad-first\",\"text\":\"caf"u8, 0xC3, 0x28, .. "\"}"u8],
            [.. "{\"id\":\"bad-mid\",\"text\":\"latin "u8, 0xE9, .. "t\u00E9\"}"u8],
            [.. "{\"id\":\"bad-last\",\"text\":\"cut "u8, 0xF0, 0x9F, 0x98, .. "\"}"u8],
        ];
        int[] at = [0, 200, 398];
        var withBad = new List<byte>();
        var badLines = new List<long>();
        for (int i = 0; i < lines.Length; i++)
        {
            int k = Array.IndexOf(at, i);
            if (k >= 0)
            {
                withBad.AddRange(bad[k]);
                withBad.Add((byte)'\n');
                badLines.Add(badLines.Count + i + 1);
            }

            withBad.AddRange(Encoding.UTF8.GetBytes(lines[i]));
            if (i < lines.Length - 1)
            {
                withBad.Add((byte)'\n');
            }
        }

        DataPrepResult clean = await DataStage.RunAsync(new FolderDataStore(In, Out("uc")), Input("run-u", 3000, Drop("clean.jsonl", MixedJsonl())), NullLogger.Instance, CancellationToken.None, threads: 2);
        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("u")), Input("run-u", 3000, Drop("broken.jsonl", [.. withBad])), NullLogger.Instance, CancellationToken.None, threads: 2);

        Assert.Empty(result.QuarantinedFiles);
        Assert.Equal(clean.RecordsCurated, result.RecordsCurated);
        Assert.Equal(clean.RecordsQuarantined + 3, result.RecordsQuarantined);
        Assert.Equal(3, result.RejectReasons["invalid_utf8"]);
        static string Id(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!;
        Assert.Equal(CuratedLines(Out("uc"), "run-u").Select(Id).Order(), CuratedLines(Out("u"), "run-u").Select(Id).Order());
        List<System.Text.Json.JsonElement> invalid = [.. File.ReadAllLines(Path.Combine(Out("u"), "quarantine", "shop", "run-u", "records.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("reason").GetString() == "invalid_utf8")
            .OrderBy(e => e.GetProperty("line").GetInt64())];
        Assert.Equal(badLines, invalid.Select(e => e.GetProperty("line").GetInt64()));
        Assert.Equal(bad, invalid.Select(e => Convert.FromBase64String(e.GetProperty("rawBase64").GetString()!)));
    }

    [Fact]
    public async Task RunAsync_NoLineIsUtf8_QuarantinesTheWholeFile()
    {
        byte[] latin1 = Encoding.Latin1.GetBytes("{\"id\":\"a\",\"text\":\"caf\u00E9\"}\n{\"id\":\"b\",\"text\":\"na\u00EFve\"}\n");
        DropBlob fine = Drop("fine.jsonl", $$"""{"id":"f1","text":"{{Sentence(77)}}"}""" + "\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("l1")), Input("run-l1", 3000, Drop("latin1.jsonl", latin1), fine), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(1, result.RecordsCurated);
        Assert.Single(result.QuarantinedFiles, f => f.Contains("latin1.jsonl: not UTF-8 text: no record is valid UTF-8", StringComparison.Ordinal));
        Assert.Equal(latin1, File.ReadAllBytes(Path.Combine(Out("l1"), "quarantine", "shop", "run-l1", "files", "latin1.jsonl")));
    }

    [Fact]
    public async Task RunAsync_ModelSchema_RejectsOtherShapesAndKeepsMetadataFields()
    {
        DropBlob drop = Drop("qa.jsonl", string.Join('\n',
            $$"""{"id":"q1","prompt":"what is a spot eviction?","response":"{{Sentence(5)}}","lang":"en","secret_note":"x"}""",
            $$"""{"id":"q2","text":"{{Sentence(6)}}","lang":"en"}""",
            $$"""{"id":"q3","prompt":"which region is cheapest?","response":"{{Sentence(7)}}","lang":["en"]}""") + "\n");
        var policy = new DataPolicy(0, 0, 2000, 50, DataQualityPresets.Off, Schema: new RecordSchema { Shapes = RecordShapes.PromptResponse, MetadataFields = ["lang"] });

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("v")), new DataPrepInput("shop", "run-v", [drop], policy), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(1, result.RecordsCurated);
        Assert.Equal(1, result.RejectReasons["wrong_shape"]);
        Assert.Equal(1, result.RejectReasons["invalid_metadata"]);
        string line = Assert.Single(CuratedLines(Out("v"), "run-v"));
        Assert.Contains("\"meta\":{\"lang\":\"en\"}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("secret_note", line, StringComparison.Ordinal);
        string quarantined = File.ReadAllText(Path.Combine(Out("v"), "quarantine", "shop", "run-v", "records.jsonl"));
        Assert.Contains("this model takes 'prompt'+'response'", quarantined, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ParquetOutput_WritesATwinOfEveryJsonlFileWithTheSameRows()
    {
        DropBlob drop = Drop("mixed.jsonl", MixedJsonl());
        DataPrepInput input = Input("run-pq", 3000, drop);

        DataPrepResult result = await DataStage.RunAsync(
            new FolderDataStore(In, Out("pq")), input with { Policy = input.Policy with { ParquetOutput = true, Schema = new RecordSchema { MetadataFields = ["lang"] } } },
            NullLogger.Instance, CancellationToken.None, threads: 2);

        string folder = Path.Combine(Out("pq"), "curated", "shop", "run-pq");
        string[] jsonl = Directory.GetFiles(folder, "*-*-*.jsonl");
        Assert.NotEmpty(jsonl);
        long rows = 0;
        foreach (string file in jsonl)
        {
            string[] lines = File.ReadAllLines(file);
            await using var stream = File.OpenRead(Path.ChangeExtension(file, ".parquet"));
            await using Parquet.ParquetReader reader = await Parquet.ParquetReader.CreateAsync(stream);
            using Parquet.ParquetRowGroupReader group = reader.OpenRowGroupReader(0);
            Parquet.Schema.DataField[] fields = reader.Schema.GetDataFields();
            Assert.Equal(["id", "text", "prompt", "response", "source", "meta"], fields.Select(f => f.Name));
            string?[] ids = new string?[group.RowCount], texts = new string?[group.RowCount];
            await group.ReadAsync(fields[0], ids.AsMemory());
            await group.ReadAsync(fields[1], texts.AsMemory());
            Assert.Equal(lines.Length, ids.Length);
            for (int i = 0; i < lines.Length; i++)
            {
                using var doc = System.Text.Json.JsonDocument.Parse(lines[i]);
                Assert.Equal(doc.RootElement.GetProperty("id").GetString(), ids[i]);
                Assert.Equal(doc.RootElement.GetProperty("text").GetString(), texts[i]);
            }

            rows += ids.Length;
        }

        Assert.Equal(result.RecordsCurated, rows);
        string manifest = File.ReadAllText(Path.Combine(folder, "manifest.json"));
        Assert.Contains(".parquet\"", manifest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EveryKindOfBadInputInOneDrop_QuarantinesEachWithItsReasonAndCuratesTheRest()
    {
        byte[] gzip;
        using (var buffer = new MemoryStream())
        {
            using (var zip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            {
                zip.Write(Encoding.UTF8.GetBytes(MixedJsonl()));
            }

            gzip = buffer.ToArray()[..(int)(buffer.Length / 2)];
        }

        DropBlob[] drops =
        [
            Drop("good.jsonl", string.Join('\n',
                $$"""{"id":"g1","text":"{{Sentence(101)}}"}""",
                "{not json",
                "[1,2,3]",
                """{"id":"g4"}""",
                """{"id":"g5","messages":[{"role":"robot","content":"beep"}]}""",
                """{"id":"g6","text":"a record whose metadata is an object","lang":{"nested":true}}""",
                $$"""{"id":"","text":"{{Sentence(107)}}"}""",
                $$"""{"id":"g8","prompt":"{{Sentence(108)}}","response":"{{Sentence(109)}}"}""") + "\n"),
            Drop("half.jsonl.gz", gzip),
            Drop("table.jsonl", "id,text\n1,hello there\n"),
            Drop("columns.csv", "key,body\n1,a row without the text column\n"),
            Drop("broken.parquet", "PAR1 this is not a parquet file at all PAR1"u8.ToArray()),
            Drop("notes.txt", "plain text, not a supported format\n"),
            Drop("empty.jsonl", ""),
            Drop("latin1.jsonl", [.. "{\"id\":\"l1\",\"text\":\"caf"u8, 0xE9, .. "\"}\n"u8]),
        ];
        var policy = new DataPolicy(0, 0, 2000, 50, DataQualityPresets.Off, Schema: new RecordSchema { MetadataFields = ["lang"] });

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("bad")), new DataPrepInput("shop", "run-bad", drops, policy), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(2, result.RecordsCurated);
        Assert.Equal(6, result.RecordsQuarantined);
        Assert.Equal(
            new Dictionary<string, long> { ["bad_file"] = 7, ["invalid_json"] = 1, ["not_an_object"] = 1, ["missing_text"] = 1, ["invalid_messages"] = 1, ["invalid_metadata"] = 1, ["invalid_id"] = 1 },
            result.RejectReasons.ToDictionary(r => r.Key, r => r.Value));
        string[] expected =
        [
            "half.jsonl.gz: not a readable gzip file",
            "table.jsonl: not JSONL: no line is a JSON record",
            "columns.csv: CSV header has no 'text' column",
            "broken.parquet: unreadable Parquet",
            "notes.txt: not a supported input format",
            "empty.jsonl: empty file (0 bytes)",
            "latin1.jsonl: not UTF-8 text: no record is valid UTF-8",
        ];
        Assert.Equal(expected.Length, result.QuarantinedFiles.Count);
        foreach (string reason in expected)
        {
            Assert.Contains(result.QuarantinedFiles, f => f.Replace(In + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).StartsWith(reason, StringComparison.Ordinal));
        }

        string quarantine = Path.Combine(Out("bad"), "quarantine", "shop", "run-bad");
        foreach (string file in new[] { "half.jsonl.gz", "table.jsonl", "columns.csv", "broken.parquet", "notes.txt", "latin1.jsonl" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(In, file)), File.ReadAllBytes(Path.Combine(quarantine, "files", file)));
        }

        Assert.True(File.Exists(Path.Combine(quarantine, "files", "empty.jsonl.reason.txt")));
        string[] records = File.ReadAllLines(Path.Combine(quarantine, "records.jsonl"));
        Assert.Equal(6, records.Length);
        Assert.Contains(records, r => r.Contains("\"line\":2,\"reason\":\"invalid_json\"", StringComparison.Ordinal) && r.Contains("{not json", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("lone CR in a quoted field", "id,text\nr1,\"a\rb with words enough\"\nr2,second row of the table\nr3,third row of the table\nr4,fourth row of the table\n")]
    [InlineData("quote inside an unquoted field", "id,text\nr1,first row of the table\nr2,he said 5\" tall\nr3,third row of the table\nr4,fourth row\nr5,fifth row\nr6,\"x\ny\"\nr7,seventh row\n")]
    [InlineData("blank line before the header", "\nid,text\nr1,first row of the table\nr2,second row of the table\nr3,third row of the table\nr4,fourth row\n")]
    [InlineData("text after a closing quote", "id,text\nr1,\"quoted\" and more\nr2,second row of the table\nr3,third row of the table\nr4,fourth row\n")]
    public async Task PlanAsync_CsvTheReaderCouldReadTwoWays_KeepsTheFileWholeAndCuratesAsWhole(string why, string csv)
    {
        DropBlob drop = Drop($"{why.Replace(' ', '-')}.csv", csv);

        DataShardPlan plan = await ShardPlanner.PlanAsync(new FolderDataStore(In, Out("amb")), Input("run-amb", 40, drop), CancellationToken.None);
        DataPrepResult sharded = await DataStage.RunAsync(new FolderDataStore(In, Out("amb-s")), Input("run-amb", 40, drop), NullLogger.Instance, CancellationToken.None);
        DataPrepResult whole = await DataStage.RunAsync(new FolderDataStore(In, Out("amb-w")), Input("run-amb", 1 << 30, drop), NullLogger.Instance, CancellationToken.None);

        Assert.Single(plan.Shards);
        Assert.Equal((whole.RecordsRead, whole.RecordsCurated, whole.RecordsQuarantined), (sharded.RecordsRead, sharded.RecordsCurated, sharded.RecordsQuarantined));
    }

    [Fact]
    public async Task PlanAsync_CsvHeaderOpeningAQuoteNeverClosed_ReadsNoFurtherThanTheRecordLimitAndKeepsTheFileWhole()
    {
        var csv = new StringBuilder("id,\"text\n");
        for (int i = 0; csv.Length < 1_000_000; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"r{i},{Sentence(i)}\n");
        }

        DropBlob drop = Drop("unclosed.csv", csv.ToString());
        DataPrepInput input = Input("run-uq", 4096, drop);
        input = input with { Policy = input.Policy with { Inputs = new InputOptions { MaxRecordBytes = 1000 } } };
        var store = new ReadCountingStore(new FolderDataStore(In, Out("uq")));

        DataShardPlan plan = await ShardPlanner.PlanAsync(store, input, CancellationToken.None);
        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("uq-run")), input, NullLogger.Instance, CancellationToken.None);

        Assert.Single(plan.Shards);
        Assert.True(store.InputBytesRead <= 128 * 1024, $"the planner read {store.InputBytesRead} bytes of a header cut off at 1000");
        Assert.Single(result.QuarantinedFiles, f => f.Contains("unclosed.csv: unreadable CSV", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_Utf16CsvLargerThanAShard_KeptWholeAndEveryRowCurated()
    {
        // U+4E0A is 0A 4E in UTF-16LE: a 0x0A byte that is half a character, not a line break.
        var csv = new StringBuilder("id,text\n");
        for (int i = 0; i < 60; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"u{i},\u4E0A {Sentence(i)}\n");
        }

        DropBlob drop = Drop("unicode.csv", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(csv.ToString())]);

        DataShardPlan plan = await ShardPlanner.PlanAsync(new FolderDataStore(In, Out("u16")), Input("run-u16", 256, drop), CancellationToken.None);
        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("u16-run")), Input("run-u16", 256, drop), NullLogger.Instance, CancellationToken.None);

        Assert.Single(plan.Shards);
        Assert.Empty(result.QuarantinedFiles);
        Assert.Equal(60, result.RecordsRead);
        Assert.Equal(60, result.RecordsCurated);
        Assert.Contains("\"text\":\"\u4E0A the ", string.Join('\n', CuratedLines(Out("u16-run"), "run-u16")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_JsonArrayLargerThanAShard_KeptWholeAndEachElementCuratedOrRejected()
    {
        string elements = string.Join(",\n  ", Enumerable.Range(0, 120).Select(i => i == 50 ? "[\"not\", \"an object\"]" : $$"""{"id":"a{{i}}","text":"{{Sentence(i)}}"}"""));
        DropBlob array = Drop("records.json", "[\n  " + elements + "\n]\n");
        DropBlob cut = Drop("cut.json", "[" + string.Join(",", Enumerable.Range(0, 30).Select(i => $$"""{"id":"c{{i}}","text":"{{Sentence(500 + i)}}"}""")) + ",{\"id\":\"c30\",\"te");
        DropBlob empty = Drop("empty.json", "[]");
        DataPrepInput input = Input("run-arr", 512, array, cut, empty);

        DataShardPlan plan = await ShardPlanner.PlanAsync(new FolderDataStore(In, Out("arr")), input, CancellationToken.None);
        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("arr-run")), input, NullLogger.Instance, CancellationToken.None);

        Assert.Equal(3, plan.Shards.Count);
        Assert.Equal(149, result.RecordsCurated);
        Assert.Equal(1, result.RejectReasons["not_an_object"]);
        Assert.Equal(1, result.RejectReasons["invalid_json"]);
        Assert.Single(result.QuarantinedFiles, f => f.Contains("empty.json: no records: the file is empty, holds only blank lines or an empty JSON array", StringComparison.Ordinal));
        string quarantined = File.ReadAllText(Path.Combine(Out("arr-run"), "quarantine", "shop", "run-arr", "records.jsonl"));
        Assert.Contains("\"line\":51,\"reason\":\"not_an_object\"", quarantined, StringComparison.Ordinal);
        Assert.Contains("\"line\":31,\"reason\":\"invalid_json\"", quarantined, StringComparison.Ordinal);
        Assert.Contains(",{\\\"id\\\":\\\"c30\\\",\\\"te", quarantined, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_RunThatFailedAfterItsFanIn_LeavesTheModelsIndexAsItWas()
    {
        DropBlob drop = Drop("mixed.jsonl", MixedJsonl());
        var store = new FolderDataStore(In, Out("fail"));
        DataPrepInput failed = Input("run-failed", 3000, drop);

        // Run 1 gets as far as its fan-in (the index is saved under the run) and then fails: no manifest.
        DataShardPlan plan = await ShardPlanner.PlanAsync(store, failed, CancellationToken.None);
        var results = new List<DataShardResult>();
        foreach (DataShard shard in plan.Shards)
        {
            results.Add(await ShardCurator.RunAsync(store, new DataShardTask(DataShardTask.InputFor(failed), shard), CancellationToken.None));
        }

        await DropDeduplicator.RunAsync(store, new DataDedupTask(failed, plan, results), 1, CancellationToken.None);

        DataPrepResult next = await DataStage.RunAsync(store, Input("run-next", 3000, drop), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(8, next.NearDuplicates); // only the drop's own near duplicates, none against the failed run's records
        Assert.True(next.RecordsCurated > 300);
        Assert.Equal("run-next", File.ReadAllText(Path.Combine(Out("fail"), "curated", "shop", "_index", "latest.txt")));
    }

    [Fact]
    public async Task RunAsync_LoneSurrogateEscape_QuarantinesThatRecordOnly()
    {
        DropBlob drop = Drop("surrogate.jsonl", string.Join('\n',
            $$"""{"id":"s1","text":"{{Sentence(201)}}"}""",
            """{"id":"s2","text":"hello \ud800 world and a few more words"}""",
            $$"""{"id":"s3","text":"{{Sentence(203)}}"}""") + "\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("sur")), Input("run-sur", 1 << 30, drop), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(2, result.RecordsCurated);
        Assert.Equal(1, result.RejectReasons["invalid_text"]);
        string quarantined = File.ReadAllText(Path.Combine(Out("sur"), "quarantine", "shop", "run-sur", "records.jsonl"));
        Assert.Contains("\"line\":2,\"reason\":\"invalid_text\"", quarantined, StringComparison.Ordinal);
    }

    [Fact]
    public void Jaccard_SortedSets_CountsSharedShingles()
    {
        ulong[] a = GenAiServerless.Data.Dedup.NearDuplicateFinder.ShingleSet("one two three four five six seven");
        ulong[] b = GenAiServerless.Data.Dedup.NearDuplicateFinder.ShingleSet("one two three four five six eight");

        Assert.Equal(3, a.Length);
        Assert.Equal(2.0 / 4, GenAiServerless.Data.Dedup.NearDuplicateFinder.Jaccard(a, b));
        Assert.Equal(1.0, GenAiServerless.Data.Dedup.NearDuplicateFinder.Jaccard(a, a));
        Assert.Equal(0.0, GenAiServerless.Data.Dedup.NearDuplicateFinder.Jaccard(a, GenAiServerless.Data.Dedup.NearDuplicateFinder.ShingleSet("nothing in common with the others at all")));
    }

    /// <summary>Every curated line, split by split, files in name order.</summary>
    static List<string> CuratedLines(string output, string runId)
    {
        string folder = Path.Combine(output, "curated", "shop", runId);
        return [.. new[] { "train-", "validation-", "test-" }.SelectMany(split =>
            Directory.GetFiles(folder, split + "*.jsonl").Order(StringComparer.Ordinal).SelectMany(File.ReadAllLines))];
    }

    static List<string> Sorted(string file) => [.. File.ReadAllLines(file).Order(StringComparer.Ordinal)];

    /// <summary>A store that counts the bytes read from dropped files.</summary>
    sealed class ReadCountingStore(IDataStore inner) : IDataStore
    {
        public long InputBytesRead { get; private set; }

        public async Task<Stream> OpenInputAsync(DropBlob drop, CancellationToken cancellationToken) =>
            new CountingStream(await inner.OpenInputAsync(drop, cancellationToken), n => InputBytesRead += n);

        public string InputName(DropBlob drop) => inner.InputName(drop);

        public Task WriteAsync(string area, string path, BinaryData content, CancellationToken cancellationToken) => inner.WriteAsync(area, path, content, cancellationToken);

        public Task<BinaryData?> ReadAsync(string area, string path, CancellationToken cancellationToken) => inner.ReadAsync(area, path, cancellationToken);

        public Task CopyInputAsync(DropBlob drop, string area, string path, CancellationToken cancellationToken) => inner.CopyInputAsync(drop, area, path, cancellationToken);

        public Task<Stream> OpenInputRangeAsync(DropBlob drop, long offset, long length, CancellationToken cancellationToken) => inner.OpenInputRangeAsync(drop, offset, length, cancellationToken);

        public Task<Stream> OpenWriteAsync(string area, string path, CancellationToken cancellationToken) => inner.OpenWriteAsync(area, path, cancellationToken);

        public Task<Stream?> OpenReadAsync(string area, string path, CancellationToken cancellationToken) => inner.OpenReadAsync(area, path, cancellationToken);

        public Task DeletePrefixAsync(string area, string prefix, CancellationToken cancellationToken) => inner.DeletePrefixAsync(area, prefix, cancellationToken);

        public IAsyncEnumerable<StoredOutput> ListAsync(string area, string prefix, CancellationToken cancellationToken) => inner.ListAsync(area, prefix, cancellationToken);

        public Task DeleteAsync(string area, string path, CancellationToken cancellationToken) => inner.DeleteAsync(area, path, cancellationToken);
    }

    sealed class CountingStream(Stream inner, Action<int> count) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        int Count(int n)
        {
            count(n);
            return n;
        }
    }

    sealed class ResultComparer : IEqualityComparer<DataPrepResult>
    {
        public bool Equals(DataPrepResult? x, DataPrepResult? y) =>
            x is not null && y is not null
            && (x.RecordsRead, x.RecordsCurated, x.RecordsQuarantined, x.ExactDuplicates, x.NearDuplicates, x.RecordsFiltered, x.TrainRecords, x.ValidationRecords, x.TestRecords)
                == (y.RecordsRead, y.RecordsCurated, y.RecordsQuarantined, y.ExactDuplicates, y.NearDuplicates, y.RecordsFiltered, y.TrainRecords, y.ValidationRecords, y.TestRecords)
            && x.RejectReasons.OrderBy(r => r.Key).SequenceEqual(y.RejectReasons.OrderBy(r => r.Key));

        public int GetHashCode(DataPrepResult obj) => 0;
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
