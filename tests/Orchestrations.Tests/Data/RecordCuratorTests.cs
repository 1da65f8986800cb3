using System.Text;
using GenAiServerless.Data;

namespace GenAiServerless.Tests.Orchestrations.Data;

public class RecordCuratorTests
{
    private const string File = "incoming/shop/drop.jsonl";

    /// <summary>What one <see cref="RecordCurator.CurateFile"/> call handed to each of its callbacks.</summary>
    private sealed record Curation(
        RejectedFile? File,
        List<CuratedRecord> Curated,
        List<RejectedRecord> Rejected,
        List<(CuratedRecord Record, string Of)> Duplicates);

    private static RecordCurator NewCurator(int maxRecordChars = 1000) => new(0.1, 0.1, maxRecordChars);

    private static Curation Curate(RecordCurator curator, string text, string file = File) =>
        Curate(curator, new StringReader(text), file);

    private static Curation Curate(RecordCurator curator, TextReader reader, string file = File)
    {
        var curated = new List<CuratedRecord>();
        var rejected = new List<RejectedRecord>();
        var duplicates = new List<(CuratedRecord, string)>();
        RejectedFile? bad = curator.CurateFile(file, reader, curated.Add, rejected.Add, (r, of) => duplicates.Add((r, of)));
        return new Curation(bad, curated, rejected, duplicates);
    }

    [Fact]
    public void CurateFile_TextRecord_CuratesNormalisedText()
    {
        // Full-width letters and the "ﬁ" ligature fold under NFKC; tabs and runs of spaces collapse to one space; line
        // breaks are kept, a run of blank lines squeezed to one; the BEL control character disappears; leading and
        // trailing whitespace go.
        const string line = """{"id":"r1","text":"  Ｈｅｌｌｏ\t\u0007 ﬁne\n\n   world  "}""";

        Curation result = Curate(NewCurator(), line + "\n");

        Assert.Null(result.File);
        Assert.Empty(result.Rejected);
        CuratedRecord record = Assert.Single(result.Curated);
        Assert.Equal("r1", record.Id);
        Assert.Equal("Hello fine\n\nworld", record.Text);
        Assert.Null(record.Prompt);
        Assert.Null(record.Response);
        Assert.Equal($"{File}:1", record.Source);
    }

    [Fact]
    public void CurateFile_PromptAndResponse_CuratesBothJoinedByNewline()
    {
        const string line = """{"id":7,"prompt":"What  is\tit?","response":" A ｔｅｓｔ. "}""";

        Curation result = Curate(NewCurator(), line);

        CuratedRecord record = Assert.Single(result.Curated);
        Assert.Equal("7", record.Id);
        Assert.Equal("What is it?", record.Prompt);
        Assert.Equal("A test.", record.Response);
        Assert.Equal("What is it?\nA test.", record.Text);
    }

    [Fact]
    public void CurateFile_NoId_DerivesStableIdFromNormalisedText()
    {
        Curation first = Curate(NewCurator(), """{"text":"same  words"}""");
        Curation second = Curate(NewCurator(), """{"text":" same words "}""");

        Assert.StartsWith("h", first.Curated[0].Id, StringComparison.Ordinal);
        Assert.Equal(first.Curated[0].Id, second.Curated[0].Id);
    }

    [Fact]
    public void CurateFile_MissingText_RejectsWithReasonAndLineNumber()
    {
        const string text = """
            {"id":"ok","text":"fine"}
            {"id":"bad","title":"no text here"}
            """;

        Curation result = Curate(NewCurator(), text);

        Assert.Null(result.File);
        Assert.Single(result.Curated);
        RejectedRecord rejected = Assert.Single(result.Rejected);
        Assert.Equal((File, 2L, "missing_text"), (rejected.File, rejected.Line, rejected.Reason));
        Assert.Contains("'text'", rejected.Detail, StringComparison.Ordinal);
        Assert.Equal("""{"id":"bad","title":"no text here"}""", rejected.Raw);
    }

    [Fact]
    public void CurateFile_PromptWithoutResponse_RejectsNamingResponse()
    {
        Curation result = Curate(NewCurator(), """{"prompt":"only half"}""");

        RejectedRecord rejected = Assert.Single(result.Rejected);
        Assert.Equal("missing_text", rejected.Reason);
        Assert.Contains("'response'", rejected.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CurateFile_InvalidJsonLine_RejectsAsInvalidJson()
    {
        const string text = """
            {"text":"fine"}
            {"text": "unterminated
            """;

        Curation result = Curate(NewCurator(), text);

        Assert.Null(result.File);
        RejectedRecord rejected = Assert.Single(result.Rejected);
        Assert.Equal((2L, "invalid_json"), (rejected.Line, rejected.Reason));
        Assert.StartsWith("not valid JSON", rejected.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CurateFile_ArrayLine_RejectsAsNotAnObject()
    {
        const string text = """
            {"text":"fine"}
            ["text","in","an","array"]
            """;

        Curation result = Curate(NewCurator(), text);

        RejectedRecord rejected = Assert.Single(result.Rejected);
        Assert.Equal((2L, "not_an_object"), (rejected.Line, rejected.Reason));
        Assert.Contains("Array", rejected.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CurateFile_TextLongerThanLimit_RejectsAsTooLong()
    {
        string text = $$"""
            {"text":"{{new string('x', 16)}}"}
            {"text":"{{new string('y', 17)}}"}
            """;

        Curation result = Curate(NewCurator(maxRecordChars: 16), text);

        Assert.Single(result.Curated);
        RejectedRecord rejected = Assert.Single(result.Rejected);
        Assert.Equal((2L, "too_long"), (rejected.Line, rejected.Reason));
        Assert.Contains("17 characters; the limit is 16", rejected.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CurateFile_DuplicateInSameFile_ReportsIdItDuplicates()
    {
        const string text = """
            {"id":"first","text":"the same words"}
            {"id":"second","text":"the  same words "}
            """;
        var curator = NewCurator();

        Curation result = Curate(curator, text);

        Assert.Equal("first", Assert.Single(result.Curated).Id);
        (CuratedRecord record, string of) = Assert.Single(result.Duplicates);
        Assert.Equal(("second", "first"), (record.Id, of));
        Assert.Equal(1, curator.ExactDuplicates);
    }

    [Fact]
    public void CurateFile_DuplicateInLaterFile_DropsItAndCountsIt()
    {
        var curator = NewCurator();
        Curation first = Curate(curator, """{"id":"a1","text":"shared record"}""", "incoming/shop/a.jsonl");

        Curation second = Curate(curator, """{"id":"b7","text":"shared record"}""", "incoming/shop/b.jsonl");

        Assert.Equal("a1", Assert.Single(first.Curated).Id);
        Assert.Null(second.File);
        Assert.Empty(second.Curated);
        Assert.Equal("b7", Assert.Single(second.Duplicates).Record.Id);
        Assert.Equal("a1", Assert.Single(second.Duplicates).Of);
        Assert.Equal(1, curator.ExactDuplicates);
        Assert.Equal(2, curator.RecordsRead);
    }

    [Fact]
    public void CurateFile_InvalidUtf8AfterManyGoodLines_CommitsNothingFromThatFile()
    {
        // Thousands of good lines decode before the bad buffer is reached: none of them may leak into the curated
        // output or the duplicate index when the file is then quarantined whole.
        var good = new StringBuilder();
        for (int i = 0; i < 2000; i++)
        {
            good.Append(System.Globalization.CultureInfo.InvariantCulture, $$"""{"id":"g{{i}}","text":"good record number {{i}}"}""").Append('\n');
        }

        byte[] bytes = [.. Encoding.UTF8.GetBytes(good.ToString()), .. """{"text":"caf"""u8, 0xFF, 0xFE, 0xFD, .. "\"}\n"u8];
        var curator = NewCurator();
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);

        Curation rejected = Curate(curator, reader);
        Curation later = Curate(curator, """{"id":"g5","text":"good record number 5"}""", "incoming/shop/later.jsonl");

        Assert.StartsWith("not UTF-8", rejected.File!.Reason, StringComparison.Ordinal);
        Assert.Empty(rejected.Curated);
        Assert.Empty(rejected.Rejected);
        Assert.Equal("g5", Assert.Single(later.Curated).Id);
        Assert.Equal(1, curator.RecordsRead);
        Assert.Equal(0, curator.ExactDuplicates);
    }

    [Fact]
    public void CurateFile_OnlyNonJsonLines_RejectsWholeFileAsNotJsonl()
    {
        const string csv = """
            id,text
            1,hello
            2,world
            """;

        Curation result = Curate(NewCurator(), csv);

        Assert.NotNull(result.File);
        Assert.Equal(File, result.File.File);
        Assert.StartsWith("not JSONL", result.File.Reason, StringComparison.Ordinal);
        Assert.Contains("line 1", result.File.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Curated);
    }

    [Fact]
    public void CurateFile_OnlyBlankLines_RejectsWholeFileAsNoRecords()
    {
        Curation result = Curate(NewCurator(), "\n   \n\t\n\n");

        Assert.NotNull(result.File);
        Assert.StartsWith("no records", result.File.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Rejected);
    }

    [Fact]
    public void CurateFile_InvalidUtf8Bytes_RejectsWholeFileAsNotUtf8()
    {
        // The reader CurateDataDrop builds: strict UTF-8, BOM detection on. The bad bytes sit inside a record, not
        // at the start, where FF FE would be read as a UTF-16 byte-order mark.
        byte[] bytes = [.. """{"text":"caf"""u8, 0xFF, 0xFE, 0xFD, .. "\"}\n"u8];
        using var reader = new StreamReader(new MemoryStream(bytes), new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);

        Curation result = Curate(NewCurator(), reader);

        Assert.NotNull(result.File);
        Assert.StartsWith("not UTF-8", result.File.Reason, StringComparison.Ordinal);
        Assert.Empty(result.Curated);
    }

    [Fact]
    public void SplitOf_SameId_SameSplitAcrossCurators()
    {
        var a = NewCurator();
        var b = NewCurator();

        foreach (string id in Enumerable.Range(0, 200).Select(i => $"rec-{i}"))
        {
            Assert.Equal(a.SplitOf(id), b.SplitOf(id));
            Assert.Equal(a.SplitOf(id), a.SplitOf(id));
        }
    }

    [Fact]
    public void SplitOf_TenThousandIds_RespectsFractions()
    {
        var curator = new RecordCurator(validationFraction: 0.2, testFraction: 0.1, maxRecordChars: 1000);
        const int n = 10_000;

        Dictionary<DataSplit, int> counts = Enumerable.Range(0, n)
            .Select(i => curator.SplitOf($"record-{i}"))
            .GroupBy(s => s)
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.InRange(counts[DataSplit.Test] / (double)n, 0.08, 0.12);
        Assert.InRange(counts[DataSplit.Validation] / (double)n, 0.18, 0.22);
        Assert.InRange(counts[DataSplit.Train] / (double)n, 0.67, 0.73);
    }

    [Fact]
    public void SplitOf_CuratedRecord_CarriesSplitOfItsId()
    {
        var curator = NewCurator();

        Curation result = Curate(curator, """{"id":"abc","text":"words"}""");

        Assert.Equal(curator.SplitOf("abc"), result.Curated[0].Split);
    }

    [Fact]
    public void CurateFile_WithQuality_RedactsPiiInKeptText()
    {
        var curator = new RecordCurator(0.1, 0.1, 1000, new GenAiServerless.Data.Quality.QualityPipeline(GenAiServerless.Data.Quality.QualityPolicy.ShortRecords));

        Curation result = Curate(curator, """{"id":"p1","text":"write to jane.doe@example.com or call +44 20 7946 0958 about the order"}""");

        string text = Assert.Single(result.Curated).Text;
        Assert.DoesNotContain("jane.doe@example.com", text, StringComparison.Ordinal);
        Assert.Contains("<EMAIL>", text, StringComparison.Ordinal);
        Assert.Contains("<PHONE>", text, StringComparison.Ordinal);
        Assert.Equal((1, 1), (curator.Pii.Email, curator.Pii.Phone));
    }

    [Fact]
    public void CurateFile_QualityRuleDrops_HandsRecordToFilteredWithRule()
    {
        var curator = new RecordCurator(0.1, 0.1, 1000, new GenAiServerless.Data.Quality.QualityPipeline(GenAiServerless.Data.Quality.QualityPolicy.ShortRecords));
        var filtered = new List<(CuratedRecord Record, GenAiServerless.Data.Quality.FilterDecision Decision)>();

        RejectedFile? bad = curator.CurateFile(File, new StringReader("""
            {"id":"ok","text":"a perfectly ordinary sentence about the model and the data"}
            {"id":"rude","text":"you idiot, stupid stupid idiot"}
            """), _ => { }, _ => { }, (_, _) => { }, (r, d) => filtered.Add((r, d)));

        Assert.Null(bad);
        (CuratedRecord record, GenAiServerless.Data.Quality.FilterDecision decision) = Assert.Single(filtered);
        Assert.Equal("rude", record.Id);
        Assert.Equal("toxicity:score", decision.Rule);
        Assert.Equal(1, curator.FilteredByRule["toxicity:score"]);
    }

    [Fact]
    public void CurateFile_QualityRuleDropsWithoutFilteredCallback_QuarantinesInsteadOfLosing()
    {
        var curator = new RecordCurator(0.1, 0.1, 1000, new GenAiServerless.Data.Quality.QualityPipeline(GenAiServerless.Data.Quality.QualityPolicy.ShortRecords));

        Curation result = Curate(curator, """{"id":"rude","text":"you idiot, stupid stupid idiot"}""");

        RejectedRecord rejected = Assert.Single(result.Rejected);
        Assert.Equal("toxicity:score", rejected.Reason);
        Assert.Equal(1, rejected.Line);
    }
}
