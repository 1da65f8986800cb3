using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

public class WordListToxicityScorerTests
{
    private static readonly Dictionary<string, double> Terms = new() { ["zork"] = 1, ["blat"] = 0.5, ["vile"] = 10 };

    [Fact]
    public void Score_OneTermInTenWords_IsOneTenth()
    {
        var scorer = new WordListToxicityScorer(Terms);

        Assert.Equal(0.1, scorer.Score("one two three four five six seven eight nine zork"), 6);
    }

    [Fact]
    public void Score_TermsInAnyCaseWithPunctuation_MatchedAndWeighted()
    {
        var scorer = new WordListToxicityScorer(Terms);

        // (1 + 0.5 + 10) / 5 words.
        Assert.Equal(2.3, scorer.Score("ZORK! \"blat\", you vile (thing)"), 6);
    }

    [Fact]
    public void Score_TermInsideLongerWord_NotMatched()
    {
        var scorer = new WordListToxicityScorer(Terms);

        Assert.Equal(0, scorer.Score("zorkish blatant villages"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("... !!!")]
    public void Score_NoWords_IsZero(string text)
    {
        Assert.Equal(0, new WordListToxicityScorer(Terms).Score(text));
    }

    [Fact]
    public void Score_DefaultList_ScoresMildInsult()
    {
        var scorer = new WordListToxicityScorer();

        Assert.Equal(0.5, scorer.Score("You idiot."), 6);
        Assert.Equal(0, scorer.Score(SampleText.Prose));
    }

    [Fact]
    public void Constructor_TermWithSpace_Throws()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => new WordListToxicityScorer(new Dictionary<string, double> { ["two words"] = 1 }));

        Assert.Contains("'two words'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_NegativeWeight_Throws()
    {
        Assert.Throws<ArgumentException>(() => new WordListToxicityScorer(new Dictionary<string, double> { ["zork"] = -1 }));
    }
}
