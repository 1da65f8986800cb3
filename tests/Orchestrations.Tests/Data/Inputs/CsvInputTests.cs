using System.Text.Json;
using GenAiServerless.Data.Inputs;
using static GenAiServerless.Tests.Orchestrations.Data.Inputs.InputTestFiles;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

public class CsvInputTests
{
    private static JsonElement Parse(SourceItem item) => JsonDocument.Parse(Assert.IsType<SourceRecord>(item).Json).RootElement;

    [Fact]
    public async Task ReadAsync_TextColumn_YieldsTextIdAndMetadataAsStrings()
    {
        const string csv = "id,text,lang,score\nr1,\"Hello, world\",en,0.9\nr2,\"two\nlines \"\"quoted\"\"\",de,1\n";

        List<SourceItem> items = await ReadAllAsync("in/drop.csv", Utf8(csv));

        Assert.Equal(2, items.Count);
        Assert.Equal("""{"id":"r1","text":"Hello, world","lang":"en","score":"0.9"}""", ((SourceRecord)items[0]).Json);
        Assert.Equal("r1,\"Hello, world\",en,0.9", items[0].RawForQuarantine);
        Assert.Equal(2, items[0].Position);
        JsonElement second = Parse(items[1]);
        Assert.Equal("two\nlines \"quoted\"", second.GetProperty("text").GetString());
        Assert.Equal("1", second.GetProperty("score").GetString());
        Assert.Equal(3, items[1].Position);
    }

    [Fact]
    public async Task ReadAsync_NoIdColumn_RecordsHaveNoId()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.csv", Utf8("text\nalpha\nbeta\n"));

        Assert.Equal(["""{"text":"alpha"}""", """{"text":"beta"}"""], items.Select(i => ((SourceRecord)i).Json));
    }

    [Fact]
    public async Task ReadAsync_EmptyIdCell_LeavesTheIdOut()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.csv", Utf8("id,text\n,alpha\n"));

        Assert.Equal("""{"text":"alpha"}""", ((SourceRecord)Assert.Single(items)).Json);
    }

    [Fact]
    public async Task ReadAsync_PromptAndResponseColumns_YieldsPromptAndResponse()
    {
        List<SourceItem> items = await ReadAllAsync("in/pairs.csv", Utf8("prompt,response,source\nWhat is 2+2?,4,quiz\n"));

        Assert.Equal("""{"prompt":"What is 2+2?","response":"4","source":"quiz"}""", ((SourceRecord)Assert.Single(items)).Json);
    }

    [Fact]
    public async Task ReadAsync_ConfiguredColumns_UsesThemAndLeavesReservedNamesOut()
    {
        var options = new InputOptions { TextColumns = CsvTextColumns.PromptResponseIn("question", "answer") with { IdColumn = "key" } };

        List<SourceItem> items = await ReadAllAsync("in/qa.csv", Utf8("key,question,answer,text\nk1,Why?,Because.,stray\n"), options);

        Assert.Equal("""{"id":"k1","prompt":"Why?","response":"Because."}""", ((SourceRecord)Assert.Single(items)).Json);
    }

    [Fact]
    public async Task ReadAsync_BadRowInTheMiddle_IsInvalidCsvRecordAndRowsOnBothSidesAreRead()
    {
        const string csv = "id,text\nr1,first\nr2,second,extra\nr3,third\n";

        List<SourceItem> items = await ReadAllAsync("in/drop.csv", Utf8(csv));

        Assert.Equal(3, items.Count);
        Assert.Equal("first", Parse(items[0]).GetProperty("text").GetString());
        UnreadableRecord bad = Assert.IsType<UnreadableRecord>(items[1]);
        Assert.Equal("invalid_csv", bad.Reason);
        Assert.Equal(3, bad.Position);
        Assert.Equal("CSV row at line 3: wrong number of fields (the header has 2)", bad.Detail);
        Assert.Equal("r2,second,extra", bad.RawForQuarantine);
        Assert.Equal("third", Parse(items[2]).GetProperty("text").GetString());
        Assert.Equal(4, items[2].Position);
        Assert.Equal(new GenAiServerless.Data.RejectedRecord("in/drop.csv", 3, "invalid_csv", bad.Detail, "r2,second,extra"), bad.ToRejectedRecord());
    }

    [Fact]
    public async Task ReadAsync_BadQuotingInTheMiddle_IsInvalidCsvRecord()
    {
        const string csv = "id,text\nr1,first\nr2,\"broken\"quote\nr3,third\n";

        List<SourceItem> items = await ReadAllAsync("in/drop.csv", Utf8(csv));

        UnreadableRecord bad = Assert.Single(items.OfType<UnreadableRecord>());
        Assert.Equal(3, bad.Position);
        Assert.Equal("CSV row at line 3: text after the closing quote of a field", bad.Detail);
        Assert.Equal(["first", "third"], items.OfType<SourceRecord>().Select(r => JsonDocument.Parse(r.Json).RootElement.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ReadAsync_NoTextColumns_FileIsUnreadableNamingTheHeader()
    {
        UnreadableFileException e = await ReadFailsAsync("in/drop.csv", Utf8("id,body,lang\n1,hello,en\n"));

        Assert.Equal("CSV header has no 'text' column and no 'prompt' and 'response' columns (header: 'id', 'body', 'lang')", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_ConfiguredTextColumnMissing_FileIsUnreadableNamingIt()
    {
        var options = new InputOptions { TextColumns = CsvTextColumns.TextIn("body") };

        UnreadableFileException e = await ReadFailsAsync("in/drop.csv", Utf8("id,text\n1,hello\n"), options);

        Assert.Equal("CSV header has no 'body' column for the text (header: 'id', 'text')", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_EmptyFile_FileIsUnreadable()
    {
        UnreadableFileException e = await ReadFailsAsync("in/drop.csv", []);

        Assert.Equal("no header row: the CSV file is empty", e.Reason);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8Row_IsOneInvalidUtf8RecordAndTheOtherRowsAreRead()
    {
        byte[] bytes = [.. Utf8("id,text\n1,alpha\n2,\"caf"), 0xE9, .. Utf8("\nau lait\"\n3,gamma\n")];

        List<SourceItem> items = await ReadAllAsync("in/drop.csv", bytes);

        Assert.Equal(3, items.Count);
        Assert.Equal("alpha", Parse(items[0]).GetProperty("text").GetString());
        UnreadableRecord invalid = Assert.IsType<UnreadableRecord>(items[1]);
        Assert.Equal(("invalid_utf8", 3L), (invalid.Reason, invalid.Position));
        Assert.StartsWith("CSV row at line 3 is not valid UTF-8 text: byte 0xE9", invalid.Detail, StringComparison.Ordinal);
        Assert.Equal([.. Utf8("2,\"caf"), 0xE9, .. Utf8("\nau lait\"")], Convert.FromBase64String(invalid.RawBase64!));
        Assert.Equal(("gamma", 5L), (Parse(items[2]).GetProperty("text").GetString(), items[2].Position));
    }

    [Fact]
    public async Task ReadAsync_Utf8ByteOrderMark_IsNotPartOfTheFirstColumnName()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.csv", [0xEF, 0xBB, 0xBF, .. Utf8("text,lang\nalpha,en\n")]);

        Assert.Equal("alpha", Parse(Assert.Single(items)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task ReadAsync_Utf16FileWithByteOrderMark_IsTranscoded()
    {
        // Spreadsheets export "Unicode text" as UTF-16 with a byte order mark; the mark says what the bytes are.
        byte[] bytes = [.. System.Text.Encoding.Unicode.GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes("text\ncaf\u00E9\n")];

        List<SourceItem> items = await ReadAllAsync("in/utf16.csv", bytes);

        Assert.Equal("caf\u00E9", Parse(Assert.Single(items)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task ReadAsync_GzipCsv_YieldsTheRows()
    {
        List<SourceItem> items = await ReadAllAsync("in/drop.csv.gz", Gzip(Utf8("text\nalpha\nbeta\n")), forwardOnly: true);

        Assert.Equal(["alpha", "beta"], items.Select(i => Parse(i).GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ReadAsync_GzipCsvOfTwoMembers_YieldsTheRowsOfBoth()
    {
        byte[] file = [.. Gzip(Utf8("text\nalpha\n")), .. Gzip(Utf8("beta\ngamma\n"))];

        List<SourceItem> items = await ReadAllAsync("in/drop.csv.gz", file, forwardOnly: true);

        Assert.Equal(["alpha", "beta", "gamma"], items.Select(i => Parse(i).GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ReadAsync_TruncatedGzipCsv_FileIsUnreadable()
    {
        string text = "id,text\n" + string.Concat(Enumerable.Range(0, 5_000).Select(i => $"{i},row {i} {i * 7919 % 1000}\n"));
        byte[] whole = Gzip(Utf8(text));

        UnreadableFileException e = await ReadFailsAsync("in/drop.csv.gz", whole[..(whole.Length / 2)]);

        Assert.StartsWith("not a readable gzip file: ", e.Reason, StringComparison.Ordinal);
    }
}
