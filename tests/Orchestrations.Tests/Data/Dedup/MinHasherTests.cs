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

    // Signatures are persisted in the LSH index across runs, so no change to the hasher may change a value. These were
    // computed by the single-chain, scalar implementation; the texts cover ASCII under and over the length at which the
    // text is hashed as two halves, non-ASCII (accents, Greek, CJK, emoji, lone surrogates), a text of fewer than five
    // words and one whose shingles outgrow the stack buffers.
    static readonly string[] PinnedTexts =
    [
        "The quick brown fox jumps over the lazy dog, again and again.",
        "Records of the pipeline -- curated, deduplicated and sharded -- are written once; a replay (or a retry!) must find the SAME signature... 2024-06-01: 42 runs, 7 failures, 0 losses.",
        "Café, naïve Ωμέγα 42 and 𝒳 words: x y z. 日本語のテキスト 😀 emoji😀inside \uD800 lone \uDC00 surrogates, İstanbul ǅungla.",
        "three short words",
        string.Join(' ', Enumerable.Range(0, 800).Select(i => i % 3 == 0 ? $"Word{i % 37}," : $"item{i}")),
    ];

    [Theory]
    [InlineData(0, 8, 0x3E797A4C3CB2F24DUL, 0x3FFD30FC54E80A56UL, 0x8062199BBEFB680EUL)]
    [InlineData(1, 26, 0xB6D02CE7749B3DE0UL, 0x53B7663933886956UL, 0x6CF1D454CDB07A44UL)]
    [InlineData(2, 15, 0x9AB6F97B22059572UL, 0x71A3C72BB4ED1132UL, 0xA2176A1E5AA4619CUL)]
    [InlineData(3, 1, 0x10D00F097BB218E7UL, 0xB55BC464D722D86AUL, 0xB55BC464D722D86AUL)]
    [InlineData(4, 796, 0x4E64C61CBF4ED66AUL, 0x3E03FFEA18EDCCEDUL, 0x54519DB4B7115623UL)]
    public void Compute_PinnedTexts_SameValuesAsEver(int text, int shingles, ulong signatureDigest, ulong hashesDigest, ulong setDigest)
    {
        var signature = new uint[MinHasher.SignatureLength];

        var count = MinHasher.Default.Compute(PinnedTexts[text], signature);

        Assert.Equal(shingles, count);
        Assert.Equal(signatureDigest, Digest(signature.Select(v => (ulong)v)));
        Assert.Equal(hashesDigest, Digest(MinHasher.ShingleHashes(PinnedTexts[text])));
        Assert.Equal(setDigest, Digest(MinHasher.ShingleSet(PinnedTexts[text])));
    }

    /// <summary>An order-sensitive digest of values, to pin a signature or a list of shingle hashes in one number.</summary>
    static ulong Digest(IEnumerable<ulong> values)
    {
        var h = 0xCBF2_9CE4_8422_2325UL;
        foreach (var v in values)
        {
            h = (h ^ v) * 0x0000_0100_0000_01B3;
        }

        return h;
    }
}
