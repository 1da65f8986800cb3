using GenAiServerless.Data.Inputs;
using static GenAiServerless.Tests.Orchestrations.Data.Inputs.InputTestFiles;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class JsonArrayInputTests
{
    [Fact]
    public async Task ReadAsync_JsonFileHoldingAnArray_YieldsEachElementWithItsIndex()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.json", Utf8("[\n{\"text\":\"a\"},\n  {\"id\":\"b\", \"text\":\"b\"}\n]\n"));

        SourceRecord[] records = [.. items.Cast<SourceRecord>()];
        Assert.Equal([1L, 2L], records.Select(r => r.Position));
        Assert.Equal(["{\"text\":\"a\"}", "{\"id\":\"b\", \"text\":\"b\"}"], records.Select(r => r.Json));
        Assert.All(records, r => Assert.Equal(r.Json, r.RawForQuarantine));
    }

    [Fact]
    public async Task ReadAsync_ElementsWithNestedArraysAndObjects_AreEachOneRecord()
    {
        const string first = """{"text":"a","meta":{"k":[1,{"x":[]},"]"]}}""";
        const string second = """{"messages":[{"role":"user","content":"[hi]"},{"role":"assistant","content":"{ok}"}]}""";

        List<SourceItem> items = await ReadAllAsync("in/nested.json", Utf8($"[{first},{second}]"));

        Assert.Equal([first, second], items.Select(i => ((SourceRecord)i).Json));
    }

    [Fact]
    public async Task ReadAsync_ElementThatIsNotAnObject_IsPassedOnForTheCuratorToReject()
    {
        List<SourceItem> items = await ReadAllAsync("in/mixed.json", Utf8("[{\"text\":\"a\"}, 42, [1,2], \"s\", {\"text\":\"b\"}]"));

        Assert.Equal(["{\"text\":\"a\"}", "42", "[1,2]", "\"s\"", "{\"text\":\"b\"}"], items.Select(i => ((SourceRecord)i).Json));
        Assert.Equal([1L, 2L, 3L, 4L, 5L], items.Select(i => i.Position));
    }

    [Theory]
    [InlineData("   \r\n\t[{\"text\":\"a\"}]")]
    [InlineData("\uFEFF[{\"text\":\"a\"}]")]
    [InlineData("\uFEFF \n [ {\"text\":\"a\"} ] \n")]
    public async Task ReadAsync_WhitespaceOrByteOrderMarkBeforeTheArray_IsSkipped(string json)
    {
        List<SourceItem> items = await ReadAllAsync("in/lead.json", Utf8(json), forwardOnly: true);

        Assert.Equal("{\"text\":\"a\"}", Assert.IsType<SourceRecord>(Assert.Single(items)).Json);
    }

    [Fact]
    public async Task ReadAsync_JsonFileOfJsonLines_IsStillReadLineByLine()
    {
        List<SourceItem> items = await ReadAllAsync("in/lines.json", Utf8("{\"text\":\"a\"}\n{\"text\":\"b\"}\n"));

        Assert.Equal([1L, 2L], items.Select(i => i.Position));
        Assert.Equal("{\"text\":\"b\"}", ((SourceRecord)items[1]).Json);
    }

    [Fact]
    public async Task ReadAsync_JsonlFileStartingWithABracket_IsNotReadAsAnArray()
    {
        List<SourceItem> items = await ReadAllAsync("in/lines.jsonl", Utf8("[1,2]\n{\"text\":\"b\"}\n"));

        Assert.Equal(["[1,2]", "{\"text\":\"b\"}"], items.Select(i => ((SourceRecord)i).Json));
    }

    [Theory]
    [InlineData("[{\"text\":\"a\"},{\"text\":\"b\"},{\"text\":\"c", ",{\"text\":\"c")]
    [InlineData("[{\"text\":\"a\"},{\"text\":\"b\"} x {\"text\":\"c\"}]", " x {\"text\":\"c\"}]")]
    [InlineData("[{\"text\":\"a\"},{\"text\":\"b\"},", ",")]
    [InlineData("[{\"text\":\"a\"},{\"text\":\"b\"}] trailing", "trailing")]
    public async Task ReadAsync_ArrayDamagedAfterTwoElements_KeepsThemAndQuarantinesTheRestAsOneRecord(string json, string rest)
    {
        List<SourceItem> items = await ReadAllAsync("in/cut.json", Utf8(json));

        Assert.Equal(3, items.Count);
        Assert.Equal(["{\"text\":\"a\"}", "{\"text\":\"b\"}"], items.Take(2).Select(i => ((SourceRecord)i).Json));
        UnreadableRecord damaged = Assert.IsType<UnreadableRecord>(items[2]);
        Assert.Equal(("invalid_json", 3L), (damaged.Reason, damaged.Position));
        Assert.Equal(rest, damaged.RawForQuarantine);
        Assert.StartsWith($"the JSON array cannot be read from byte {json.Length - rest.Length}: ", damaged.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_ArrayDamagedBeforeItsFirstElement_FileIsUnreadable()
    {
        UnreadableFileException e = await ReadFailsAsync("in/broken.json", Utf8("[{\"text\": oops}, {\"text\":\"b\"}]"));

        Assert.StartsWith("the JSON array cannot be read from byte 1: element 1: ", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_EmptyArray_YieldsNothing()
    {
        Assert.Empty(await ReadAllAsync("in/empty.json", Utf8("[ ]\n")));
    }

    [Fact]
    public async Task ReadAsync_LargeGzipArrayWithABigElement_ReadsEveryElementThroughSmallReads()
    {
        string big = "{\"text\":\"" + new string('y', 300_000) + "\"}";
        string json = "[" + string.Join(",\n", Enumerable.Range(0, 20_000).Select(i => i == 7_000 ? big : $"{{\"id\":{i},\"text\":\"record {i}\"}}")) + "]";

        List<SourceItem> items = await ReadAllAsync("in/big.json.gz", Gzip(Utf8(json)), forwardOnly: true);

        Assert.Equal(20_000, items.Count);
        Assert.Equal(big, ((SourceRecord)items[7_000]).Json);
        Assert.Equal("{\"id\":19999,\"text\":\"record 19999\"}", ((SourceRecord)items[^1]).Json);
    }
}
