using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

public class GopherQualityFilterTests
{
    private static FilterDecision Evaluate(string text, GopherQualityOptions? options = null) =>
        new GopherQualityFilter(options ?? new GopherQualityOptions()).Evaluate(text);

    [Fact]
    public void Evaluate_OrdinaryProse_Keeps()
    {
        FilterDecision decision = Evaluate(SampleText.Prose);

        Assert.True(decision.Kept);
        Assert.Null(decision.Rule);
    }

    [Fact]
    public void Evaluate_FewerWordsThanMinimum_DropsMinWords()
    {
        FilterDecision decision = Evaluate("The cat sat on the mat with a hat.");

        Assert.Equal(QualityRules.GopherMinWords, decision.Rule);
        Assert.Equal("9 words; minimum 50", decision.Detail);
    }

    [Fact]
    public void Evaluate_ShortRecordWithLoweredMinimums_Keeps()
    {
        var chat = new GopherQualityOptions { MinWords = 1, MinStopWords = 0 };

        Assert.True(Evaluate("Sure, happy to help.", chat).Kept);
    }

    [Fact]
    public void Evaluate_MoreWordsThanMaximum_DropsMaxWords()
    {
        FilterDecision decision = Evaluate(SampleText.Prose, new GopherQualityOptions { MaxWords = 20 });

        Assert.Equal(QualityRules.GopherMaxWords, decision.Rule);
    }

    [Fact]
    public void Evaluate_PunctuationOnlyTokens_AreNotWords()
    {
        // 100 words and 10 dashes: within a 105-word maximum only because the dashes are not words.
        string text = SampleText.Prose + "\n" + string.Join(' ', Enumerable.Repeat("-", 10));

        FilterDecision decision = Evaluate(text, new GopherQualityOptions { MaxWords = 105 });

        Assert.True(decision.Kept, decision.Detail);
    }

    [Theory]
    [InlineData("to be or to be a cat is to be ok as it is. ", "mean word length 2;")]
    [InlineData("internationalisation characterisation institutionalisation of the ", "mean word length 1")]
    public void Evaluate_MeanWordLengthOutOfRange_DropsMeanWordLength(string sentence, string detailStart)
    {
        string text = string.Concat(Enumerable.Repeat(sentence, 20));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherMeanWordLength, decision.Rule);
        Assert.StartsWith(detailStart, decision.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TooManyHashes_DropsHashRatio()
    {
        string text = SampleText.Prose + "\n" + string.Join(' ', Enumerable.Range(0, 15).Select(i => $"#tag{i}"));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherHashRatio, decision.Rule);
    }

    [Fact]
    public void Evaluate_FewHashes_Keeps()
    {
        string text = SampleText.Prose + "\nSee #history and #rivers for more.";

        Assert.True(Evaluate(text).Kept);
    }

    [Fact]
    public void Evaluate_TooManyEllipses_DropsEllipsisRatio()
    {
        string text = SampleText.Prose.Replace(" the ", " the ... ", StringComparison.Ordinal) + " … … …";

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherEllipsisRatio, decision.Rule);
    }

    [Fact]
    public void Evaluate_MostLinesBulleted_DropsBulletLines()
    {
        string text = string.Join('\n', SampleText.ProseLines.Select(l => "• " + l));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherBulletLines, decision.Rule);
        Assert.Equal("1 of lines start with a bullet; maximum 0.9", decision.Detail);
    }

    [Fact]
    public void Evaluate_SomeLinesBulleted_Keeps()
    {
        string[] lines = SampleText.ProseLines;
        string text = string.Join('\n', lines.Select((l, i) => i < 5 ? "- " + l : l));

        Assert.True(Evaluate(text).Kept);
    }

    [Fact]
    public void Evaluate_ManyLinesEndInEllipsis_DropsEllipsisLines()
    {
        string text = string.Join('\n', SampleText.ProseLines.Select((l, i) => i < 3 ? l.TrimEnd('.') + "..." : l));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherEllipsisLines, decision.Rule);
    }

    [Fact]
    public void Evaluate_OneLineEndsInEllipsis_Keeps()
    {
        string text = string.Join('\n', SampleText.ProseLines.Select((l, i) => i == 0 ? l.TrimEnd('.') + "…" : l));

        Assert.True(Evaluate(text).Kept);
    }

    [Fact]
    public void Evaluate_MostlyNumbers_DropsAlphabeticWords()
    {
        string text = SampleText.Prose + "\n" + string.Join(' ', Enumerable.Range(1000, 40));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherAlphabeticWords, decision.Rule);
    }

    [Fact]
    public void Evaluate_NoStopWords_DropsStopWords()
    {
        string text = string.Concat(Enumerable.Repeat("Quick brown foxes jump over lazy dogs near green hills.\n", 8));

        FilterDecision decision = Evaluate(text);

        Assert.Equal(QualityRules.GopherStopWords, decision.Rule);
        Assert.Equal("0 stop words; minimum 2", decision.Detail);
    }

    [Fact]
    public void Evaluate_StopWordsInAnyCase_Counted()
    {
        string text = string.Concat(Enumerable.Repeat("Quick brown foxes jump over lazy dogs near green hills.\n", 8)) + "THE end, And more.";

        Assert.True(Evaluate(text).Kept);
    }

    [Fact]
    public void Evaluate_Disabled_KeepsAnything()
    {
        Assert.True(Evaluate("#", new GopherQualityOptions { Enabled = false }).Kept);
    }
}
