using System.Text.Json;
using GenAiServerless.Data.Inputs;
using Parquet;
using Parquet.Schema;
using static GenAiServerless.Tests.Orchestrations.Data.Inputs.InputTestFiles;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class ParquetInputTests
{
    /// <summary>A real Parquet file in two row groups, written with Parquet.Net.</summary>
    private static async Task<byte[]> WriteParquetAsync(ParquetSchema schema, params Func<ParquetRowGroupWriter, Task>[] rowGroups)
    {
        using var output = new MemoryStream();
        await using (ParquetWriter writer = await ParquetWriter.CreateAsync(schema, output))
        {
            foreach (Func<ParquetRowGroupWriter, Task> write in rowGroups)
            {
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                await write(group);
            }
        }

        return output.ToArray();
    }

    [Fact]
    public async Task ReadAsync_DamagedRowGroup_CostsOnlyItsRowsAndTheNextRowGroupsAreRead()
    {
        var text = new DataField<string>("text");
        string[] Rows(int g) => [.. Enumerable.Range(0, 50).Select(i => $"group {g} row {i} " + new string((char)('a' + g), 40))];
        byte[] file = await WriteParquetAsync(
            new ParquetSchema(text),
            g => g.WriteAsync(text, Rows(0)),
            g => g.WriteAsync(text, Rows(1)),
            g => g.WriteAsync(text, Rows(2)));
        long offset, size;
        using (var probe = new MemoryStream(file))
        await using (ParquetReader reader = await ParquetReader.CreateAsync(probe))
        {
            Parquet.Meta.ColumnMetaData middle = reader.Metadata!.RowGroups[1].Columns[0].MetaData!;
            (offset, size) = (middle.DataPageOffset, middle.TotalCompressedSize);
        }

        // Overwrite the middle of the second row group's column chunk (page header and data) with garbage.
        for (long b = offset; b < offset + size; b++)
        {
            file[b] = (byte)(0xA5 ^ b);
        }

        List<SourceItem> items = await ReadAllAsync("in/damaged.parquet", file);

        Assert.Equal(101, items.Count);
        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), items.Take(50).Select(i => i.Position));
        UnreadableRecord damaged = Assert.IsType<UnreadableRecord>(items[50]);
        Assert.Equal(("unreadable_row_group", 51L), (damaged.Reason, damaged.Position));
        Assert.StartsWith("rows 51–100 (row group 1) cannot be read: ", damaged.Detail, StringComparison.Ordinal);
        Assert.Equal(Enumerable.Range(101, 50).Select(i => (long)i), items.Skip(51).Select(i => i.Position));
        Assert.Equal("group 2 row 0 " + new string('c', 40), JsonDocument.Parse(((SourceRecord)items[51]).Json).RootElement.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReadAsync_TextIdAndMetadata_YieldsRowsAcrossRowGroups(bool forwardOnly)
    {
        var id = new DataField<long>("id");
        var text = new DataField<string>("text");
        var lang = new DataField<string>("lang");
        var score = new DataField<double>("score");
        byte[] file = await WriteParquetAsync(
            new ParquetSchema(id, text, lang, score),
            async g =>
            {
                await g.WriteAsync<long>(id, new long[] { 1, 2 });
                await g.WriteAsync(text, new string?[] { "first \"row\"", null });
                await g.WriteAsync(lang, ["en", "de"]);
                await g.WriteAsync<double>(score, new double[] { 0.5, 0.7 });
            },
            async g =>
            {
                await g.WriteAsync<long>(id, new long[] { 3 });
                await g.WriteAsync(text, ["third"]);
                await g.WriteAsync(lang, new string?[] { null });
                await g.WriteAsync<double>(score, new double[] { 0.9 });
            });

        List<SourceItem> items = await ReadAllAsync("in/part-0.parquet", file, forwardOnly: forwardOnly);

        Assert.Equal([1L, 2L, 3L], items.Select(i => i.Position));
        Assert.Equal(
            [
                """{"id":1,"text":"first \"row\"","lang":"en"}""",
                """{"id":2,"lang":"de"}""",
                """{"id":3,"text":"third"}""",
            ],
            items.Select(i => ((SourceRecord)i).Json));
        Assert.Equal(((SourceRecord)items[0]).Json, items[0].RawForQuarantine);
    }

    [Fact]
    public async Task ReadAsync_PromptResponseWithStringIds_YieldsPairs()
    {
        var id = new DataField<string>("id");
        var prompt = new DataField<string>("prompt");
        var response = new DataField<string>("response");
        byte[] file = await WriteParquetAsync(
            new ParquetSchema(id, prompt, response),
            async g =>
            {
                await g.WriteAsync(id, ["q1"]);
                await g.WriteAsync(prompt, ["Why?"]);
                await g.WriteAsync(response, ["Because."]);
            });

        List<SourceItem> items = await ReadAllAsync("in/pairs.parquet", file);

        Assert.Equal("""{"id":"q1","prompt":"Why?","response":"Because."}""", ((SourceRecord)Assert.Single(items)).Json);
    }

    [Fact]
    public async Task ReadAsync_NullableIntIds_NullIdIsLeftOut()
    {
        var id = new DataField<int?>("id");
        var text = new DataField<string>("text");
        byte[] file = await WriteParquetAsync(
            new ParquetSchema(id, text),
            async g =>
            {
                await g.WriteAsync<int>(id, new int?[] { 5, null });
                await g.WriteAsync(text, ["a", "b"]);
            });

        List<SourceItem> items = await ReadAllAsync("in/part-0.parquet", file);

        Assert.Equal(["""{"id":5,"text":"a"}""", """{"text":"b"}"""], items.Select(i => ((SourceRecord)i).Json));
    }

    [Fact]
    public async Task ReadAsync_NotParquet_FileIsUnreadable()
    {
        UnreadableFileException e = await ReadFailsAsync("in/part-0.parquet", Utf8("{\"text\":\"I am JSONL in disguise\"}\n"));

        Assert.StartsWith("unreadable Parquet: ", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_TruncatedParquet_FileIsUnreadable()
    {
        var text = new DataField<string>("text");
        byte[] file = await WriteParquetAsync(new ParquetSchema(text), g => g.WriteAsync(text, ["a", "b"]));

        UnreadableFileException e = await ReadFailsAsync("in/part-0.parquet", file[..(file.Length - 20)]);

        Assert.StartsWith("unreadable Parquet: ", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_TextColumnOfWrongType_FileIsUnreadableNamingColumnAndType()
    {
        var text = new DataField<int>("text");
        byte[] file = await WriteParquetAsync(new ParquetSchema(text), g => g.WriteAsync<int>(text, new int[] { 1, 2 }));

        UnreadableFileException e = await ReadFailsAsync("in/part-0.parquet", file);

        Assert.Equal("Parquet column 'text' has type Int32; expected a string column", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_IdColumnOfWrongType_FileIsUnreadableNamingColumnAndType()
    {
        var id = new DataField<double>("id");
        var text = new DataField<string>("text");
        byte[] file = await WriteParquetAsync(
            new ParquetSchema(id, text),
            async g =>
            {
                await g.WriteAsync<double>(id, new double[] { 1.5 });
                await g.WriteAsync(text, ["a"]);
            });

        UnreadableFileException e = await ReadFailsAsync("in/part-0.parquet", file);

        Assert.Equal("Parquet column 'id' has type Double; expected a string or integer column", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_NoTextColumns_FileIsUnreadableNamingTheColumns()
    {
        var body = new DataField<string>("body");
        byte[] file = await WriteParquetAsync(new ParquetSchema(body), g => g.WriteAsync(body, ["a"]));

        UnreadableFileException e = await ReadFailsAsync("in/part-0.parquet", file);

        Assert.Equal("Parquet schema has no 'text' column and no 'prompt' and 'response' columns (columns: 'body' (String))", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_RowJson_IsWhatTheCuratorReads()
    {
        var text = new DataField<string>("text");
        byte[] file = await WriteParquetAsync(new ParquetSchema(text), g => g.WriteAsync(text, ["héllo ✓"]));

        List<SourceItem> items = await ReadAllAsync("in/part-0.parquet", file);

        Assert.Equal("héllo ✓", JsonDocument.Parse(((SourceRecord)Assert.Single(items)).Json).RootElement.GetProperty("text").GetString());
    }
}
