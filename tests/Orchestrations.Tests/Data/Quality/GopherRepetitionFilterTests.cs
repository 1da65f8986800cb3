using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

public class GopherRepetitionFilterTests
{
    private static FilterDecision Evaluate(string text, GopherRepetitionOptions? options = null) =>
        new GopherRepetitionFilter(options ?? new GopherRepetitionOptions()).Evaluate(text);

    [Fact]
    public void Evaluate_OrdinaryProse_Keeps()
    {
        Assert.True(Evaluate(SampleText.Prose).Kept);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hi.")]
    [InlineData("Thanks, that works.")]
    public void Evaluate_ShortText_Keeps(string text)
    {
        Assert.True(Evaluate(text).Kept);
    }

    [Fact]
    public void Evaluate_ManyDuplicateLines_DropsDuplicateLineFraction()
    {
        string repeated = SampleText.ProseLines[0];
        string text = SampleText.Prose + string.Concat(Enumerable.Repeat("\n" + repeated, 4));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionDuplicateLines, decision.Rule);
        Assert.Equal("0.364 of lines are duplicates; maximum 0.3", decision.Detail);
    }

    [Fact]
    public void Evaluate_OneLongDuplicateLine_DropsDuplicateLineCharFraction()
    {
        string longLine = string.Join(' ', SampleText.ProseLines[..4]);
        string text = SampleText.Prose + "\n" + longLine + "\n" + longLine;

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionDuplicateLineChars, decision.Rule);
    }

    [Fact]
    public void Evaluate_DuplicateParagraphs_DropsDuplicateParagraphFraction()
    {
        string[] lines = SampleText.ProseLines;
        string text = string.Join("\n\n", lines[0], lines[1], lines[0], lines[0]);

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionDuplicateParagraphs, decision.Rule);
        Assert.Equal("0.5 of paragraphs are duplicates; maximum 0.3", decision.Detail);
    }

    [Fact]
    public void Evaluate_OneLongDuplicateParagraph_DropsDuplicateParagraphCharFraction()
    {
        string[] lines = SampleText.ProseLines;
        string big = string.Join('\n', lines[..3]);
        string text = string.Join("\n\n", big, lines[3], lines[4], lines[5], big);

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionDuplicateParagraphChars, decision.Rule);
    }

    [Fact]
    public void Evaluate_FrequentBigram_DropsTopBigram()
    {
        string text = string.Join(' ', Enumerable.Range(0, 30).Select(i => $"word{i} xx yy"));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionTopNGram(2), decision.Rule);
    }

    [Fact]
    public void Evaluate_FrequentTrigramWithShortBigram_DropsTopTrigram()
    {
        // "x y" is the top bigram but short; "x y <20 letters>" carries the characters.
        string text = string.Join(' ', Enumerable.Range(0, 10).Select(i => $"uniq{i}a x y abcdefghijklmnopqrst uniq{i}b."));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionTopNGram(3), decision.Rule);
    }

    [Fact]
    public void Evaluate_RepeatedLongPhrase_DropsDuplicatedFivegrams()
    {
        // A 20-word phrase of 4-letter words said twice among unique words: its second copy is 80 of ~400 characters.
        string phrase = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"w{i:000}"));
        string text = $"{SampleText.Filler(15, "pre")} {phrase} {SampleText.Filler(15, "mid")} {phrase}";

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.RepetitionDuplicateNGram(5), decision.Rule);
    }

    [Fact]
    public void Evaluate_PhraseRepeatedInLongText_Keeps()
    {
        string phrase = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"w{i:000}"));
        string text = $"{SampleText.Filler(200, "pre")} {phrase} {SampleText.Filler(200, "mid")} {phrase}";

        Assert.True(Evaluate(text).Kept);
    }

    [Fact]
    public void Evaluate_ThresholdRaised_Keeps()
    {
        string text = string.Join(' ', Enumerable.Range(0, 30).Select(i => $"word{i} xx yy"));
        var lenient = new GopherRepetitionOptions
        {
            MaxTopNGramCharFraction = [1, 1, 1],
            MaxDuplicateNGramCharFraction = [1, 1, 1, 1, 1, 1],
        };

        Assert.True(Evaluate(text, lenient).Kept);
    }

    [Fact]
    public void Evaluate_Disabled_Keeps()
    {
        string text = string.Concat(Enumerable.Repeat("same line\n", 10));

        Assert.True(Evaluate(text, new GopherRepetitionOptions { Enabled = false }).Kept);
    }

    [Fact]
    public void Constructor_WrongNumberOfNGramThresholds_Throws()
    {
        var bad = new GopherRepetitionOptions { MaxTopNGramCharFraction = [0.2] };

        ArgumentException e = Assert.Throws<ArgumentException>(() => new GopherRepetitionFilter(bad));
        Assert.Contains(nameof(GopherRepetitionOptions.MaxTopNGramCharFraction), e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\r")]
    [InlineData("\u2028")]
    [InlineData("\f")]
    public async Task Evaluate_ManyLinesWithoutLineFeeds_Finishes(string lineBreak)
    {
        // More distinct lines than a table sized by line feeds alone holds: its probe for a free slot once never ended.
        string text = string.Join(lineBreak, Enumerable.Range(0, 200).Select(i => $"alpha{i} beta{i} gamma{i}."));

        FilterDecision decision = await Task.Run(() => Evaluate(text)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(decision.Kept);
    }
}
