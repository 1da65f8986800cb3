using GenAiServerless.Data.Dedup;

namespace GenAiServerless.Tests.Orchestrations.Data.Dedup;

public class MinHasherTests
{
    [Fact]
    public void Compute_IdenticalTexts_SameSignature()
    {
        var text = DedupTexts.Words(new Random(1), 200);

        Assert.Equal(MinHasher.Default.Compute(text), MinHasher.Default.Compute(new string(text.AsSpan())));
    }

    [Fact]
    public void Compute_CaseAndPunctuationDiffer_SameSignature()
    {
        var a = MinHasher.Default.Compute("The quick brown fox jumps over the lazy dog, again and again.");
        var b = MinHasher.Default.Compute("the QUICK brown fox -- jumps over the lazy dog again; and again");

        Assert.Equal(a, b);
    }

    [Fact]
    public void Compute_NewHasherSameSeed_SameSignature()
    {
        var text = DedupTexts.Words(new Random(2), 50);

        Assert.Equal(new MinHasher().Compute(text), MinHasher.Default.Compute(text));
        Assert.NotEqual(new MinHasher(seed: 7).Compute(text), MinHasher.Default.Compute(text));
    }

    [Fact]
    public void Compute_FewerThanFiveWords_OneShingleOfAllWords()
    {
        var signature = new uint[MinHasher.SignatureLength];

        var shingles = MinHasher.Default.Compute("three short words", signature);

        Assert.Equal(1, shingles);
        Assert.Contains(signature, v => v != uint.MaxValue);
        Assert.NotEqual(MinHasher.Default.Compute("three short"), MinHasher.Default.Compute("three short words"));
    }

    [Fact]
    public void Compute_NoWords_NoShingleAndMaxValues()
    {
        var signature = new uint[MinHasher.SignatureLength];

        var shingles = MinHasher.Default.Compute(" ... -- !! ", signature);

        Assert.Equal(0, shingles);
        Assert.All(signature, v => Assert.Equal(uint.MaxValue, v));
    }

    [Fact]
    public void Compute_WrongSpanLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => MinHasher.Default.Compute("a b c d e f", new uint[64]));
    }

    [Fact]
    public void EstimateJaccard_PairsOfKnownJaccard_WithinFourStandardErrors()
    {
        var random = new Random(3);
        foreach (var substitutions in new[] { 2, 8, 20, 40 })
        {
            var (a, b) = DedupTexts.Pair(random, 404, substitutions);
            var exact = DedupTexts.ExactJaccard(a, b);

            var estimate = MinHasher.EstimateJaccard(MinHasher.Default.Compute(a), MinHasher.Default.Compute(b));

            var error = Math.Sqrt(exact * (1 - exact) / MinHasher.SignatureLength);
            Assert.InRange(estimate, exact - (4 * error) - 0.01, exact + (4 * error) + 0.01);
        }
    }
}
