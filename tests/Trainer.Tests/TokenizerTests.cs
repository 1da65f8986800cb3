using GenAiServerless.Trainer;

namespace GenAiServerless.Tests.Trainer;

public sealed class TokenizerTests
{
    [Fact]
    public void Tokenize_MixedText_LowersWordsAndSplitsPunctuation() =>
        Assert.Equal(["the", "cat's", "bowl", ",", "isn't", "it", "?", "'", "x", "'"], Tokenizer.Tokenize("The cat's  bowl, isn't it? 'x'"));

    [Fact]
    public void Detokenize_Punctuation_HugsTheWordBefore() =>
        Assert.Equal("the cat eats (the fish) again.", Tokenizer.Detokenize(["the", "cat", "eats", "(", "the", "fish", ")", "again", "."]));
}
