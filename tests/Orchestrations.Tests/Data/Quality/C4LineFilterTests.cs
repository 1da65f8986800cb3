using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

public class C4LineFilterTests
{
    private static C4Result Filter(string text, C4Options? options = null) =>
        new C4LineFilter(options ?? new C4Options()).Filter(text);

    [Fact]
    public void Filter_CleanProse_ReturnsSameText()
    {
        C4Result result = Filter(SampleText.Prose);

        Assert.True(result.Decision.Kept);
        Assert.Same(SampleText.Prose, result.Text);
        Assert.Equal(default, result.RemovedLines);
    }

    [Theory]
    [InlineData("Click here to subscribe to our newsletter")]
    [InlineData("And then the story goes on for quite a while...")]
    [InlineData("Home | About | Contact | Careers | Blog")]
    public void Filter_LineWithoutTerminalPunctuation_RemovesLine(string line)
    {
        C4Result result = Filter(SampleText.Prose + "\n" + line);

        Assert.True(result.Decision.Kept);
        Assert.Equal(SampleText.Prose, result.Text);
        Assert.Equal(1, result.RemovedLines.NoTerminalPunctuation);
    }

    [Theory]
    [InlineData("He said \"we will be back next year.\"")]
    [InlineData("Is this the oldest bridge in the valley?")]
    [InlineData("What a remarkable view from the tower!")]
    public void Filter_LineEndingInTerminalMark_KeepsLine(string line)
    {
        C4Result result = Filter(SampleText.Prose + "\n" + line);

        Assert.Equal(SampleText.Prose + "\n" + line, result.Text);
    }

    [Fact]
    public void Filter_LineWithFewerWordsThanMinimum_RemovesLine()
    {
        C4Result result = Filter(SampleText.Prose + "\nThanks a lot.");

        Assert.Equal(SampleText.Prose, result.Text);
        Assert.Equal(1, result.RemovedLines.TooFewWords);
    }

    [Fact]
    public void Filter_MinWordsPerLineLowered_KeepsShortLine()
    {
        C4Result result = Filter(SampleText.Prose + "\nThanks a lot.", new C4Options { MinWordsPerLine = 3 });

        Assert.Equal(0, result.RemovedLines.Total);
    }

    [Fact]
    public void Filter_JavascriptLine_RemovesLine()
    {
        C4Result result = Filter(SampleText.Prose + "\nPlease enable JavaScript to view the comments below.");

        Assert.Equal(SampleText.Prose, result.Text);
        Assert.Equal(1, result.RemovedLines.Javascript);
    }

    [Theory]
    [InlineData("By using this site you agree to our Privacy Policy.")]
    [InlineData("Read the terms of use before you post anything here.")]
    [InlineData("This website uses cookies to improve your experience.")]
    public void Filter_PolicyBoilerplateLine_RemovesLine(string line)
    {
        C4Result result = Filter(line + "\n" + SampleText.Prose);

        Assert.Equal(SampleText.Prose, result.Text);
        Assert.Equal(1, result.RemovedLines.Policy);
        Assert.Equal([new KeyValuePair<string, int>(QualityRules.C4Policy, 1)], result.RemovedLines.ByRule());
    }

    [Fact]
    public void Filter_LoremIpsum_DropsDocument()
    {
        C4Result result = Filter(SampleText.Prose + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit.");

        Assert.False(result.Decision.Kept);
        Assert.Equal(QualityRules.C4LoremIpsum, result.Decision.Rule);
        Assert.Null(result.Text);
    }

    [Fact]
    public void Filter_CurlyBracketInKeptLine_DropsDocument()
    {
        C4Result result = Filter(SampleText.Prose + "\nThe function returns {x} when it is called without arguments.");

        Assert.Equal(QualityRules.C4CurlyBracket, result.Decision.Rule);
    }

    [Fact]
    public void Filter_CurlyBracketInRemovedLine_KeepsDocument()
    {
        // As C4 was built: the code line fails terminal punctuation first, so its bracket never drops the page.
        C4Result result = Filter(SampleText.Prose + "\nif (ready) { start(); }");

        Assert.True(result.Decision.Kept);
        Assert.Equal(SampleText.Prose, result.Text);
    }

    [Fact]
    public void Filter_FewerSentencesThanMinimum_DropsDocument()
    {
        C4Result result = Filter("Only one sentence is written on this page.\nMenu");

        Assert.Equal(QualityRules.C4TooFewSentences, result.Decision.Rule);
        Assert.Equal("1 sentences in the kept lines; minimum 3", result.Decision.Detail);
        Assert.Equal(1, result.RemovedLines.NoTerminalPunctuation);
    }

    [Fact]
    public void Filter_SeveralSentencesOnOneLine_CountsEach()
    {
        C4Result result = Filter("The mill opened in spring. It closed in autumn! Why did it close so soon?");

        Assert.True(result.Decision.Kept);
    }

    [Fact]
    public void Filter_MinSentencesLowered_KeepsOneSentence()
    {
        C4Result result = Filter("Only one sentence is written on this page.", new C4Options { MinSentences = 1 });

        Assert.True(result.Decision.Kept);
    }

    [Fact]
    public void Filter_CitationMarks_RemovedFromKeptLine()
    {
        C4Result result = Filter(SampleText.Prose + "\nThe war ended in the summer of 1815.[3] Peace lasted for decades.[citation needed]");

        Assert.Equal(SampleText.Prose + "\nThe war ended in the summer of 1815. Peace lasted for decades.", result.Text);
    }

    [Fact]
    public void Filter_WordLongerThanMaximum_RemovesLine()
    {
        C4Result result = Filter(SampleText.Prose + "\nThe token abcdefghijklmnop was pasted into the page.", new C4Options { MaxWordLength = 12 });

        Assert.Equal(SampleText.Prose, result.Text);
        Assert.Equal(1, result.RemovedLines.TooLongWord);
    }

    [Fact]
    public void Filter_IndentedAndBlankLines_TrimmedAndDropped()
    {
        string[] lines = SampleText.ProseLines;
        string text = "  " + lines[0] + "  \r\n\r\n" + lines[1] + "\n\n\n" + lines[2];

        C4Result result = Filter(text);

        Assert.Equal(string.Join('\n', lines[..3]), result.Text);
        Assert.Equal(0, result.RemovedLines.Total);
    }

    [Fact]
    public void Filter_Disabled_ReturnsTextUnchanged()
    {
        C4Result result = Filter("{ lorem ipsum", new C4Options { Enabled = false });

        Assert.True(result.Decision.Kept);
        Assert.Equal("{ lorem ipsum", result.Text);
    }
}
