using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>The whole Data stage over a local folder (the <c>genai curate</c> path): no storage needed.</summary>
public sealed class DataStageTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"datastage-{Guid.NewGuid():N}");

    string In => Path.Combine(root, "in");

    string Out(string name) => Path.Combine(root, name);

    static DataPrepInput Input(string runId, params DropBlob[] drops) =>
        new("shop", runId, drops, new DataPolicy(0.1, 0.1, 2000, 1000, DataQualityPresets.ShortRecords));

    DropBlob Drop(string name, string content)
    {
        Directory.CreateDirectory(In);
        File.WriteAllText(Path.Combine(In, name), content);
        return new DropBlob(name, name + "-v1", new FileInfo(Path.Combine(In, name)).Length);
    }

    const string Long = "the curated data goes through validation, normalisation, redaction, quality filters and two kinds of deduplication before the split";

    [Fact]
    public async Task RunAsync_MixedDrop_CuratesGoodRecordsAndAccountsForEveryOther()
    {
        DropBlob good = Drop("good.jsonl", string.Join('\n',
            """{"id":"1","text":"reach me at ann@example.com before the training run starts tonight"}""",
            """{"id":"2","text":"reach me at ann@example.com before the training run starts tonight"}""",
            $$"""{"id":"3","text":"{{Long}}"}""",
            $$"""{"id":"4","text":"{{Long.Replace("the split", "the splits", StringComparison.Ordinal)}}"}""",
            """{"id":"5"}""",
            """{"id":"6","text":"a plain sentence about spot prices and evictions in two regions"}""") + "\n");
        DropBlob csv = Drop("table.jsonl", "id,text\n1,hello\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("a")), Input("run-1", good, csv), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(3, result.RecordsCurated);
        Assert.Equal(1, result.RecordsQuarantined);
        Assert.Equal(1, result.ExactDuplicates);
        Assert.Equal(1, result.NearDuplicates);
        Assert.Single(result.QuarantinedFiles, f => f.Contains("table.jsonl", StringComparison.Ordinal) && f.Contains("not JSONL", StringComparison.Ordinal));
        string curated = Path.Combine(Out("a"), "curated", "shop", "run-1");
        string shards = string.Concat(Directory.GetFiles(curated, "*-0000*.jsonl").Select(File.ReadAllText));
        Assert.Contains("<EMAIL>", shards, StringComparison.Ordinal);
        Assert.DoesNotContain("ann@example.com", shards, StringComparison.Ordinal);
        string dropped = File.ReadAllText(Path.Combine(curated, "dropped.jsonl"));
        Assert.Contains("\"rule\":\"exact_duplicate\"", dropped, StringComparison.Ordinal);
        Assert.Contains("\"rule\":\"near_duplicate\"", dropped, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(curated, "manifest.json")));
        Assert.Contains("| dropped: near duplicate | 1 |", File.ReadAllText(Path.Combine(curated, "datacard.md")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Out("a"), "quarantine", "shop", "run-1", "files", "table.jsonl.reason.txt")));
    }

    [Fact]
    public async Task RunAsync_TwoBadFilesWithOneName_BothKeptInTheQuarantine()
    {
        Directory.CreateDirectory(Path.Combine(In, "a"));
        Directory.CreateDirectory(Path.Combine(In, "b"));
        DropBlob first = Drop("a/part.jsonl", "id,text\n1,hello\n");
        DropBlob second = Drop("b/part.jsonl", "\u0001\u0002 not json either\n");
        DropBlob other = Drop("other.jsonl", "<html></html>\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("q")), Input("run-q", first, second, other), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(3, result.QuarantinedFiles.Count);
        string files = Path.Combine(Out("q"), "quarantine", "shop", "run-q", "files");
        Assert.Equal("id,text\n1,hello\n", File.ReadAllText(Path.Combine(files, "a", "part.jsonl")));
        Assert.Equal("\u0001\u0002 not json either\n", File.ReadAllText(Path.Combine(files, "b", "part.jsonl")));
        Assert.StartsWith(Path.Combine(In, "b", "part.jsonl"), File.ReadAllText(Path.Combine(files, "b", "part.jsonl.reason.txt")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(files, "other.jsonl")));
    }

    [Fact]
    public async Task RunAsync_AfterAnInterruptedFanIn_RemovesTheScratchFilesItLeft()
    {
        DropBlob drop = Drop("s.jsonl", string.Join('\n', Enumerable.Range(0, 50).Select(i => $$"""{"id":"s{{i}}","text":"{{Long}} number {{i}}"}""")) + "\n");
        DataPrepInput input = Input($"run-scratch-{Guid.NewGuid():N}", drop);
        string crashed = Path.Combine(DropDeduplicator.ScratchRoot(input), "attempt-killed-mid-way");
        Directory.CreateDirectory(crashed);
        File.WriteAllText(Path.Combine(crashed, "signatures.bin"), "left behind");

        await DataStage.RunAsync(new FolderDataStore(In, Out("s")), input, NullLogger.Instance, CancellationToken.None);

        Assert.False(Directory.Exists(DropDeduplicator.ScratchRoot(input)));
    }

    [Fact]
    public async Task RunAsync_SameInputTwice_ByteIdenticalShardsAndManifest()
    {
        DropBlob drop = Drop("d.jsonl", string.Join('\n', Enumerable.Range(0, 200).Select(i => $$"""{"id":"r{{i}}","text":"record {{i}} says {{i * 7919 % 1000}} things about {{i * 104729 % 997}} models"}""")) + "\n");

        await DataStage.RunAsync(new FolderDataStore(In, Out("x")), Input("run-x", drop), NullLogger.Instance, CancellationToken.None);
        await DataStage.RunAsync(new FolderDataStore(In, Out("y")), Input("run-x", drop), NullLogger.Instance, CancellationToken.None);

        string[] x = Directory.GetFiles(Path.Combine(Out("x"), "curated", "shop", "run-x")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        foreach (string name in x)
        {
            Assert.Equal(
                File.ReadAllBytes(Path.Combine(Out("x"), "curated", "shop", "run-x", name)),
                File.ReadAllBytes(Path.Combine(Out("y"), "curated", "shop", "run-x", name)));
        }
    }

    [Fact]
    public async Task RunAsync_TruncatedGzip_QuarantinesFileAndKeepsTheRest()
    {
        Directory.CreateDirectory(In);
        using (var buffer = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            {
                byte[] lines = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 500).Select(i => $$"""{"id":"z{{i}}","text":"zipped record {{i}} with words {{i * 31 % 97}} and {{i * 17 % 89}}"}""" + "\n")));
                gzip.Write(lines);
            }

            byte[] whole = buffer.ToArray();
            File.WriteAllBytes(Path.Combine(In, "cut.jsonl.gz"), whole[..(whole.Length / 2)]);
        }

        DropBlob cut = new("cut.jsonl.gz", "v1", new FileInfo(Path.Combine(In, "cut.jsonl.gz")).Length);
        DropBlob good = Drop("ok.jsonl", """{"id":"k","text":"a record in a healthy file next to the broken one"}""" + "\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("g")), Input("run-g", cut, good), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(1, result.RecordsCurated);
        Assert.Single(result.QuarantinedFiles, f => f.Contains("cut.jsonl.gz", StringComparison.Ordinal) && f.Contains("not a readable gzip file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_CsvAndChatRecords_CuratedLikeJsonl()
    {
        DropBlob csv = Drop("rows.csv", "id,text,lang\nc1,\"a record that arrives as a CSV row, quoted because of its comma\",en\nc2,another plain row from the same table of text,en\n");
        DropBlob chat = Drop("chat.jsonl", """{"id":"m1","messages":[{"role":"user","content":"how do spot evictions work?"},{"role":"assistant","content":"the job resumes from its last checkpoint"}]}""" + "\n"
            + """{"id":"m2","messages":[{"role":"robot","content":"beep"}]}""" + "\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("c")), Input("run-c", csv, chat), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(3, result.RecordsCurated);
        Assert.Equal(1, result.RejectReasons["invalid_messages"]);
        string shards = string.Concat(Directory.GetFiles(Path.Combine(Out("c"), "curated", "shop", "run-c"), "*-0000*.jsonl").Select(File.ReadAllText));
        Assert.Contains("user: how do spot evictions work?\nassistant: the job resumes from its last checkpoint", shards.Replace("\\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_HeaderOnlyCsvAndZeroRowParquet_QuarantinedWithWhatWasFound()
    {
        DropBlob csv = Drop("header.csv", "id,text\n");
        using (var parquet = new MemoryStream())
        {
            var text = new Parquet.Schema.DataField<string>("text");
            await using (Parquet.ParquetWriter writer = await Parquet.ParquetWriter.CreateAsync(new Parquet.Schema.ParquetSchema(text), parquet))
            {
                using Parquet.ParquetRowGroupWriter group = writer.CreateRowGroup();
                await group.WriteAsync(text, Array.Empty<string>());
            }

            File.WriteAllBytes(Path.Combine(In, "none.parquet"), parquet.ToArray());
        }

        DropBlob rows = new("none.parquet", "v1", new FileInfo(Path.Combine(In, "none.parquet")).Length);
        DropBlob good = Drop("ok.jsonl", """{"id":"k","text":"a record in a healthy file next to the two without rows"}""" + "\n");

        DataPrepResult result = await DataStage.RunAsync(new FolderDataStore(In, Out("h")), Input("run-h", csv, rows, good), NullLogger.Instance, CancellationToken.None);

        Assert.Equal(1, result.RecordsCurated);
        Assert.Single(result.QuarantinedFiles, f => f.Contains("header.csv: no records: the CSV file has a header but no rows", StringComparison.Ordinal));
        Assert.Single(result.QuarantinedFiles, f => f.Contains("none.parquet: no records: the Parquet file has 0 rows", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
