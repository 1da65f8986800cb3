using GenAiServerless.Data.Quality;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

/// <summary>The fast paths of the word scans (whitespace bits, the ASCII word table) against their plain definitions.</summary>
public class WordScanTests
{
    private static readonly GopherQualityOptions CountOnly = new()
    {
        MinWords = 0,
        MinStopWords = 0,
        MinMeanWordLength = 0,
        MaxMeanWordLength = 1000,
        MaxSymbolToWordRatio = 1000,
        MaxBulletLineFraction = 1,
        MaxEllipsisLineFraction = 1,
        MinAlphabeticWordFraction = 0,
    };

    public static TheoryData<string> Separators => new() { " ", "  ", "\n", "\t", "\u00A0", "\u2003", "\u0085", "\u3000", " \r\n " };

    [Theory]
    [MemberData(nameof(Separators))]
    public void GopherWordCount_AcrossBitBoundaries_CountsEveryWord(string separator)
    {
        // Word lengths that put word ends on, before and after every 64-character boundary, past the 4 096-character stack buffer.
        for (int length = 1; length <= 70; length += 3)
        {
            string[] words = [.. Enumerable.Range(0, 6000 / (length + 1)).Select(i => new string((char)('a' + (i % 26)), length))];
            string text = string.Join(separator, words);

            Assert.Equal($"{words.Length} words; maximum {words.Length - 1}", Evaluate(text, words.Length - 1).Detail);
            Assert.Equal($"{words.Length} words; maximum {words.Length - 1}", Evaluate(separator + text + separator, words.Length - 1).Detail);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("\u00A0\u2003")]
    public void GopherWordCount_NoWords_IsZero(string text)
    {
        Assert.Equal("0 words; minimum 1", new GopherQualityFilter(CountOnly with { MinWords = 1 }).Evaluate(text).Detail);
    }

    [Fact]
    public void GopherWordCount_NonAsciiLettersAndZeroWidthSpace_AreWordCharacters()
    {
        // U+200B is not whitespace to char.IsWhiteSpace, so "a\u200Bb" is one word.
        Assert.Equal("3 words; maximum 2", Evaluate("café a\u200Bb Ωμέγα", 2).Detail);
    }

    [Theory]
    [InlineData("THE", true)]
    [InlineData("tHe", true)]
    [InlineData("the,", true)]
    [InlineData("thee", false)]
    [InlineData("tie", false)]
    [InlineData("th", false)]
    [InlineData("thé", false)]
    public void GopherStopWords_AsciiWords_MatchedIgnoringCaseOnly(string word, bool isStopWord)
    {
        var options = CountOnly with { MinStopWords = 1 };

        Assert.Equal(isStopWord, new GopherQualityFilter(options).Evaluate($"x {word} y").Kept);
    }

    [Theory]
    [InlineData("FÜR")]
    [InlineData("für")]
    [InlineData("Für")]
    public void GopherStopWords_NonAsciiStopWord_MatchedIgnoringCase(string word)
    {
        var options = CountOnly with { MinStopWords = 1, StopWords = ["für"] };

        Assert.True(new GopherQualityFilter(options).Evaluate($"x {word} y").Kept);
    }

    [Theory]
    [InlineData("zork")]
    [InlineData("ZORK")]
    [InlineData("zirk")]
    [InlineData("zoork")]
    [InlineData("zor")]
    [InlineData("\u0131dot")]
    [InlineData("\u017Fork")]
    [InlineData("ZORK\u212A")]
    [InlineData("zörk")]
    public void ToxicityScore_Words_MatchExactlyAsOrdinalIgnoreCase(string word)
    {
        string[] terms = ["zork", "idot", "sork", "zörk"];
        var scorer = new WordListToxicityScorer(terms.ToDictionary(t => t, _ => 1.0));
        bool expected = terms.Any(t => string.Equals(t, word, StringComparison.OrdinalIgnoreCase));

        Assert.Equal(expected ? 0.5 : 0, scorer.Score($"{word} other"), 6);
    }

    [Theory]
    [InlineData("stupid")]
    [InlineData("STUPID")]
    [InlineData("\u017Ftupid")]
    [InlineData("stupıd")]
    [InlineData("stupit")]
    public void ToxicityScore_NonAsciiTerm_MatchExactlyAsOrdinalIgnoreCase(string word)
    {
        // A non-ASCII term turns the ASCII-only shortcut off: the comparer alone decides.
        const string term = "\u017Ftupid";
        var scorer = new WordListToxicityScorer(new Dictionary<string, double> { [term] = 1, ["dumb"] = 1 });
        bool expected = string.Equals(term, word, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(expected ? 1 : 0, scorer.Score(word), 6);
    }

    [Theory]
    [InlineData("Read the PRIVACY Policy of this site today.", 0, 1)]
    [InlineData("Please enable JavaScript in your browser now.", 1, 0)]
    [InlineData("Nothing to see in this perfectly plain line.", 0, 0)]
    public void C4Filter_MarkerInAnyCase_RemovesLineByItsRule(string line, int javascript, int policy)
    {
        string text = line + "\n" + SampleText.Prose;

        C4Result result = new C4LineFilter(new C4Options()).Filter(text);

        Assert.Equal(javascript, result.RemovedLines.Javascript);
        Assert.Equal(policy, result.RemovedLines.Policy);
    }

    [Fact]
    public void C4Filter_LoremIpsumInCapitals_DropsDocument()
    {
        C4Result result = new C4LineFilter(new C4Options()).Filter("LOREM IPSUM dolor sit amet, consectetur.\n" + SampleText.Prose);

        Assert.Equal(QualityRules.C4LoremIpsum, result.Decision.Rule);
    }

    [Fact]
    public void C4Filter_EmptyPolicySubstring_MatchesEveryLine()
    {
        C4Result result = new C4LineFilter(new C4Options { PolicySubstrings = [""], MinSentences = 0 }).Filter("One two three four five.\nSix seven eight nine ten.");

        Assert.Equal(2, result.RemovedLines.Policy);
    }

    [Theory]
    [InlineData(4, 1)]
    [InlineData(5, 0)]
    [InlineData(50, 0)]
    public void C4Filter_WordsPerLine_ComparedWithMinimum(int words, int removed)
    {
        string line = string.Join(' ', Enumerable.Repeat("word", words)) + ".";

        C4Result result = new C4LineFilter(new C4Options { MinSentences = 0 }).Filter(line);

        Assert.Equal(removed, result.RemovedLines.TooFewWords);
    }

    private static FilterDecision Evaluate(string text, int maxWords) =>
        new GopherQualityFilter(CountOnly with { MaxWords = maxWords }).Evaluate(text);
}
