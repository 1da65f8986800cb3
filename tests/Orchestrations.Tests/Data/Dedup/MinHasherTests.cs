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

    [Fact]
    public void ShingleSet_ManyTexts_EqualsSortedDistinctShingleHashes()
    {
        var random = new Random(4);
        var texts = new List<string> { "", " ... -- ", "one", "two words", "a b c d", "a b c d e", "Café, naïve Ωμέγα 42 and 𝒳 words: x y z." };
        foreach (var count in new[] { 5, 6, 31, 32, 33, 37, 100, 511, 512, 513, 700, 1030, 2049, 5000, 20_000 })
        {
            texts.Add(DedupTexts.Words(random, count));
        }

        for (var i = 0; i < 300; i++)
        {
            texts.Add(DedupTexts.Words(random, random.Next(0, 1200)));
        }

        // Repeated shingles: each value many times over, crowding the buckets of the sort.
        texts.Add(string.Concat(Enumerable.Repeat("The same short sentence is written again. ", 400)));
        texts.Add(string.Join(' ', Enumerable.Range(0, 3000).Select(i => i % 7 == 0 ? "spam" : "word" + (i % 40))));

        foreach (var text in texts)
        {
            var expected = MinHasher.ShingleHashes(text).Distinct().Order().ToArray();

            Assert.Equal(expected, MinHasher.ShingleSet(text));
        }
    }
}
