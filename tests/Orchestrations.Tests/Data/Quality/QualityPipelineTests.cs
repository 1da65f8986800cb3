using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

public class QualityPipelineTests
{
    /// <summary>A scorer that returns a fixed score and remembers the text it saw.</summary>
    private sealed class FixedScorer(double score) : IToxicityScorer
    {
        public string? Seen { get; private set; }

        public double Score(ReadOnlySpan<char> text)
        {
            Seen = text.ToString();
            return score;
        }
    }

    [Fact]
    public void Apply_CleanDocument_KeepsSameText()
    {
        QualityOutcome outcome = new QualityPipeline(QualityPolicy.Documents).Apply(SampleText.Prose);

        Assert.True(outcome.Kept);
        Assert.Same(SampleText.Prose, outcome.Text);
        Assert.Equal(default, outcome.Pii);
    }

    [Fact]
    public void Apply_DocumentWithPiiAndBoilerplate_KeepsRedactedFilteredText()
    {
        string text = SampleText.Prose + "\nWrite to the archivist at archive@example.org for copies of the records."
            + "\nThis website uses cookies to improve your experience."
            + "\nShare this page";

        QualityOutcome outcome = new QualityPipeline(QualityPolicy.Documents).Apply(text);

        Assert.True(outcome.Kept);
        Assert.Equal(SampleText.Prose + "\nWrite to the archivist at <EMAIL> for copies of the records.", outcome.Text);
        Assert.Equal(1, outcome.Pii.Email);
        Assert.Equal(new C4LineCounts(NoTerminalPunctuation: 1, TooFewWords: 0, TooLongWord: 0, Javascript: 0, Policy: 1), outcome.C4RemovedLines);
    }

    [Fact]
    public void Apply_C4DropsDocument_ReportsC4RuleAndPiiCounts()
    {
        string text = SampleText.Prose + "\nLorem ipsum dolor sit amet, mail lorem@example.com today.";

        QualityOutcome outcome = new QualityPipeline(QualityPolicy.Documents).Apply(text);

        Assert.False(outcome.Kept);
        Assert.Null(outcome.Text);
        Assert.Equal(QualityRules.C4LoremIpsum, outcome.Decision.Rule);
        Assert.Equal(1, outcome.Pii.Email);
    }

    [Fact]
    public void Apply_ShortRecordUnderDocumentPolicy_DroppedByFirstRule()
    {
        const string turn = "Sure, I can help you with that.";

        QualityOutcome documents = new QualityPipeline(QualityPolicy.Documents).Apply(turn);
        QualityOutcome noC4 = new QualityPipeline(QualityPolicy.Documents with { C4 = new C4Options { Enabled = false } }).Apply(turn);

        Assert.Equal(QualityRules.C4TooFewSentences, documents.Decision.Rule);
        Assert.Equal(QualityRules.GopherMinWords, noC4.Decision.Rule);
    }

    [Fact]
    public void Apply_ShortRecordUnderShortRecordPolicy_Keeps()
    {
        QualityOutcome outcome = new QualityPipeline(QualityPolicy.ShortRecords).Apply("Sure, I can help you with that.");

        Assert.True(outcome.Kept, outcome.Decision.Detail);
    }

    [Fact]
    public void Apply_RepetitiveDocument_DropsWithRepetitionRule()
    {
        string text = SampleText.Prose + string.Concat(Enumerable.Repeat("\n" + SampleText.ProseLines[0], 4));

        QualityOutcome outcome = new QualityPipeline(QualityPolicy.Documents).Apply(text);

        Assert.Equal(QualityRules.RepetitionDuplicateLines, outcome.Decision.Rule);
    }

    [Fact]
    public void Apply_ScoreAtThreshold_DropsWithToxicityRule()
    {
        var scorer = new FixedScorer(0.02);

        QualityOutcome outcome = new QualityPipeline(QualityPolicy.Documents, scorer).Apply(SampleText.Prose + "\nMail me at a@example.com please, my friend.");

        Assert.Equal(QualityRules.Toxicity, outcome.Decision.Rule);
        Assert.Equal("toxicity score 0.02; threshold 0.02", outcome.Decision.Detail);
        Assert.Contains("<EMAIL>", scorer.Seen, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_ScoreBelowThreshold_Keeps()
    {
        QualityOutcome outcome = new QualityPipeline(QualityPolicy.Documents, new FixedScorer(0.019)).Apply(SampleText.Prose);

        Assert.True(outcome.Kept);
    }

    [Fact]
    public void Apply_ToxicityTermsFromPolicy_UsedByDefaultScorer()
    {
        var policy = QualityPolicy.ShortRecords with
        {
            Toxicity = new ToxicityOptions { Threshold = 0.1, Terms = new Dictionary<string, double> { ["zork"] = 1 } },
        };

        QualityOutcome outcome = new QualityPipeline(policy).Apply("Well, zork to you and your plan.");

        Assert.Equal(QualityRules.Toxicity, outcome.Decision.Rule);
    }

    [Theory]
    [InlineData(3, QualityRules.Toxicity, "toxicity score 0.4; threshold 0.4")]
    [InlineData(4, QualityRules.GopherStopWords, "3 stop words; minimum 4")]
    public void Apply_TermThatIsAlsoStopWord_CountsForBothRules(int minStopWords, string rule, string detail)
    {
        // The pipeline looks each word up once in the stop words and the terms together: "the" (term "THE") is both.
        var policy = QualityPolicy.ShortRecords with
        {
            GopherQuality = new GopherQualityOptions { MinWords = 1, MinStopWords = minStopWords },
            Toxicity = new ToxicityOptions { Threshold = 0.4, Terms = new Dictionary<string, double> { ["THE"] = 1 } },
        };

        QualityOutcome outcome = new QualityPipeline(policy).Apply("The cat and the dog.");

        Assert.Equal((rule, detail), (outcome.Decision.Rule, outcome.Decision.Detail));
    }

    [Fact]
    public void Apply_RedactionOff_LeavesPii()
    {
        var policy = QualityPolicy.ShortRecords with { RedactPii = false };

        QualityOutcome outcome = new QualityPipeline(policy).Apply("Write to me at someone@example.com and say hello.");

        Assert.Equal("Write to me at someone@example.com and say hello.", outcome.Text);
        Assert.Equal(0, outcome.Pii.Total);
    }
}
