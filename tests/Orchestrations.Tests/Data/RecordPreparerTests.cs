using GenAiServerless.Data;
using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data;

/// <summary>The per-record step every shard runs: validation, normalisation, ids, splits, PII and quality.</summary>
public class RecordPreparerTests
{
    private const string File = "incoming/shop/drop.jsonl";

    private static RecordPreparer NewPreparer(int maxRecordChars = 1000, QualityPipeline? quality = null) => new(0.1, 0.1, maxRecordChars, quality);

    private static CuratedRecord Curated(PreparedRecord prepared) =>
        prepared.Record is { } record && prepared.Reason is null && prepared.Filtered is null ? record : throw new Xunit.Sdk.XunitException($"not curated: {prepared.Reason} {prepared.Detail} {prepared.Filtered}");

    [Fact]
    public void Prepare_TextRecord_CuratesNormalisedText()
    {
        // Full-width letters and the "ﬁ" ligature fold under NFKC; tabs and runs of spaces collapse to one space; line
        // breaks are kept, a run of blank lines squeezed to one; the BEL control character disappears; leading and
        // trailing whitespace go.
        const string line = """{"id":"r1","text":"  Ｈｅｌｌｏ\t\u0007 ﬁne\n\n   world  "}""";

        CuratedRecord record = Curated(NewPreparer().Prepare(File, 1, line));

        Assert.Equal("r1", record.Id);
        Assert.Equal("Hello fine\n\nworld", record.Text);
        Assert.Null(record.Prompt);
        Assert.Null(record.Response);
        Assert.Equal($"{File}:1", record.Source);
    }

    [Fact]
    public void Prepare_PromptAndResponse_CuratesBothJoinedByNewline()
    {
        CuratedRecord record = Curated(NewPreparer().Prepare(File, 1, """{"id":7,"prompt":"What  is\tit?","response":" A ｔｅｓｔ. "}"""));

        Assert.Equal("7", record.Id);
        Assert.Equal("What is it?", record.Prompt);
        Assert.Equal("A test.", record.Response);
        Assert.Equal("What is it?\nA test.", record.Text);
    }

    [Fact]
    public void Prepare_NoId_DerivesStableIdFromNormalisedText()
    {
        CuratedRecord first = Curated(NewPreparer().Prepare(File, 1, """{"text":"same  words"}"""));
        CuratedRecord second = Curated(NewPreparer().Prepare(File, 9, """{"text":" same words "}"""));

        Assert.StartsWith("h", first.Id, StringComparison.Ordinal);
        Assert.Equal(first.Id, second.Id);
    }

    [Theory]
    [InlineData("""{"id":"bad","title":"no text here"}""", "missing_text", "'text'")]
    [InlineData("""{"prompt":"only half"}""", "missing_text", "'response'")]
    [InlineData("""{"text": "unterminated""", "invalid_json", "not valid JSON")]
    [InlineData("""["text","in","an","array"]""", "not_an_object", "Array")]
    public void Prepare_BadRecord_IsRejectedWithReasonAndDetail(string line, string reason, string detail)
    {
        PreparedRecord prepared = NewPreparer().Prepare(File, 2, line);

        Assert.Null(prepared.Record);
        Assert.Equal(reason, prepared.Reason);
        Assert.Contains(detail, prepared.Detail, StringComparison.Ordinal);
        Assert.Equal(reason == "invalid_json", prepared.IsInvalidJson);
    }

    [Fact]
    public void Prepare_TextLongerThanLimit_RejectsAsTooLong()
    {
        RecordPreparer preparer = NewPreparer(maxRecordChars: 16);

        Assert.Null(preparer.Prepare(File, 1, $$"""{"text":"{{new string('x', 16)}}"}""").Reason);
        PreparedRecord tooLong = preparer.Prepare(File, 2, $$"""{"text":"{{new string('y', 17)}}"}""");

        Assert.Equal("too_long", tooLong.Reason);
        Assert.Contains("17 characters; the limit is 16", tooLong.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void SplitOf_SameId_SameSplitAcrossPreparers()
    {
        RecordPreparer a = NewPreparer();
        RecordPreparer b = NewPreparer();

        foreach (string id in Enumerable.Range(0, 200).Select(i => $"rec-{i}"))
        {
            Assert.Equal(a.SplitOf(id), b.SplitOf(id));
        }
    }

    [Fact]
    public void SplitOf_TenThousandIds_RespectsFractions()
    {
        var preparer = new RecordPreparer(validationFraction: 0.2, testFraction: 0.1, maxRecordChars: 1000);
        const int n = 10_000;

        Dictionary<DataSplit, int> counts = Enumerable.Range(0, n)
            .Select(i => preparer.SplitOf($"record-{i}"))
            .GroupBy(s => s)
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.InRange(counts[DataSplit.Test] / (double)n, 0.08, 0.12);
        Assert.InRange(counts[DataSplit.Validation] / (double)n, 0.18, 0.22);
        Assert.InRange(counts[DataSplit.Train] / (double)n, 0.67, 0.73);
    }

    [Fact]
    public void Prepare_CuratedRecord_CarriesSplitOfItsId()
    {
        RecordPreparer preparer = NewPreparer();

        Assert.Equal(preparer.SplitOf("abc"), Curated(preparer.Prepare(File, 1, """{"id":"abc","text":"words"}""")).Split);
    }

    [Fact]
    public void Prepare_WithQuality_RedactsPiiInKeptTextAndCountsIt()
    {
        PreparedRecord prepared = NewPreparer(quality: new QualityPipeline(QualityPolicy.ShortRecords))
            .Prepare(File, 1, """{"id":"p1","text":"write to jane.doe@example.com or call +44 20 7946 0958 about the order"}""");

        string text = Curated(prepared).Text;
        Assert.DoesNotContain("jane.doe@example.com", text, StringComparison.Ordinal);
        Assert.Contains("<EMAIL>", text, StringComparison.Ordinal);
        Assert.Contains("<PHONE>", text, StringComparison.Ordinal);
        Assert.Equal((1, 1), (prepared.Pii.Email, prepared.Pii.Phone));
    }

    [Fact]
    public void Prepare_QualityRuleDrops_ReturnsTheRecordWithTheRule()
    {
        RecordPreparer preparer = NewPreparer(quality: new QualityPipeline(QualityPolicy.ShortRecords));

        Assert.Null(preparer.Prepare(File, 1, """{"id":"ok","text":"a perfectly ordinary sentence about the model and the data"}""").Filtered);
        PreparedRecord rude = preparer.Prepare(File, 2, """{"id":"rude","text":"you idiot, stupid stupid idiot"}""");

        Assert.Equal("rude", rude.Record!.Id);
        Assert.Equal("toxicity:score", rude.Filtered!.Value.Rule);
    }
}
