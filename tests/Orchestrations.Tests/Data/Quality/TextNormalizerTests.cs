using GenAiServerless.Data;

namespace GenAiServerless.Tests.Orchestrations.Data.Quality;

// Lives beside the quality tests it feeds: TextNormalizer sits one folder up, in GenAiServerless.Data.
public class TextNormalizerTests
{
    [Theory]
    [InlineData("Plain ASCII text.")]
    [InlineData("Two lines.\nSecond line.")]
    [InlineData("A paragraph.\n\nAnother one.")]
    [InlineData("Déjà vu, already NFKC.")]
    public void Normalize_AlreadyNormal_ReturnsSameInstance(string text)
    {
        Assert.Same(text, TextNormalizer.Normalize(text));
    }

    [Theory]
    [InlineData("  lead and trail  ", "lead and trail")]
    [InlineData("a \t b\u00A0\u2003c", "a b c")]
    [InlineData("a\u0001b \u0007 c", "ab c")]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("a\rb", "a\nb")]
    [InlineData("a\r\r\nb", "a\n\nb")]
    [InlineData("a\n\n\n\nb", "a\n\nb")]
    [InlineData("a \n b", "a\nb")]
    [InlineData("a\u0085b", "a b")]
    [InlineData("\u0000\n\u0001", "")]
    [InlineData("a  b", "a b")]
    [InlineData("a \nb", "a\nb")]
    [InlineData("a\n b", "a\nb")]
    [InlineData("a\n\n\nb", "a\n\nb")]
    [InlineData(" a", "a")]
    [InlineData("a\n", "a")]
    [InlineData("a\u007Fb", "ab")]
    public void Normalize_Whitespace_CollapsedAsDocumented(string text, string expected)
    {
        Assert.Equal(expected, TextNormalizer.Normalize(text));
    }

    [Theory]
    [InlineData("ﬁne  ＡＢＣ１２３", "fine ABC123")]
    [InlineData("x²\u00A0½", "x2 1⁄2")]
    [InlineData("e\u0301t\u00E9", "\u00E9t\u00E9")]
    public void Normalize_NonAscii_AppliesNfkc(string text, string expected)
    {
        Assert.Equal(expected, TextNormalizer.Normalize(text));
    }

    [Fact]
    public void Normalize_LongerThanStackBuffer_SameAsShortPieces()
    {
        string[] words = [.. Enumerable.Range(0, 1500).Select(i => $"w{i}")];
        string text = string.Join(" \t ", words) + "\r\n\r\n\r\n" + string.Join("\u00A0", words);

        string normal = TextNormalizer.Normalize(text);

        Assert.Equal(string.Join(' ', words) + "\n\n" + string.Join(' ', words), normal);
        Assert.Same(normal, TextNormalizer.Normalize(normal));
    }
}
