using System.Text;
using GenAiServerless.Data.Dedup;

namespace GenAiServerless.Tests.Orchestrations.Data.Dedup;

/// <summary>Seeded texts for the near-duplicate tests, and the exact Jaccard similarity of two texts' shingle sets.</summary>
internal static class DedupTexts
{
    static readonly string[] Vocabulary = MakeVocabulary(new Random(20240601), 5000);

    /// <summary><paramref name="count"/> words drawn uniformly from a 5,000-word vocabulary.</summary>
    public static string Words(Random random, int count) => string.Join(' ', WordList(random, count));

    public static string[] WordList(Random random, int count) =>
        [.. Enumerable.Range(0, count).Select(_ => Vocabulary[random.Next(Vocabulary.Length)])];

    /// <summary>A text of <paramref name="words"/> words and a copy with <paramref name="substitutions"/> words
    /// replaced, spread evenly so that each one changes five shingles of its own.</summary>
    public static (string Original, string Copy) Pair(Random random, int words, int substitutions)
    {
        var original = WordList(random, words);
        var copy = (string[])original.Clone();
        var step = words / (substitutions + 1);
        for (var s = 1; s <= substitutions; s++)
        {
            copy[s * step] = "zz" + random.Next(1_000_000);
        }

        return (string.Join(' ', original), string.Join(' ', copy));
    }

    public static double ExactJaccard(string a, string b)
    {
        var x = MinHasher.ShingleHashes(a).ToHashSet();
        var y = MinHasher.ShingleHashes(b).ToHashSet();
        var common = x.Count(y.Contains);
        return (double)common / (x.Count + y.Count - common);
    }

    public static SignatureBatch Batch(params (string Id, long Order, string Text)[] records)
    {
        var batch = new SignatureBatch();
        foreach (var (id, order, text) in records)
        {
            batch.Add(id, order, text, MinHasher.Default);
        }

        return batch;
    }

    static string[] MakeVocabulary(Random random, int size)
    {
        var words = new HashSet<string>();
        var sb = new StringBuilder();
        while (words.Count < size)
        {
            sb.Clear();
            var length = random.Next(3, 10);
            for (var i = 0; i < length; i++)
            {
                sb.Append((char)('a' + random.Next(26)));
            }

            words.Add(sb.ToString());
        }

        return [.. words.Order(StringComparer.Ordinal)];
    }
}
