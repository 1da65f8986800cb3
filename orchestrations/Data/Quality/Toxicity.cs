namespace GenAiServerless.Data.Quality;

/// <summary>Scores how toxic a text is; records at or above the configured threshold are dropped. The port a
/// classifier (a local ONNX model, a content-safety service) replaces <see cref="WordListToxicityScorer"/> behind.</summary>
/// <remarks>The scale is the scorer's own; <see cref="ToxicityOptions.Threshold"/> must be set for the scorer in use.</remarks>
public interface IToxicityScorer
{
    double Score(ReadOnlySpan<char> text);
}

/// <summary>Settings of the toxicity filter.</summary>
public sealed record ToxicityOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>A record scoring at or above this is dropped. For <see cref="WordListToxicityScorer"/>: weighted hits
    /// per word, so 0.02 is one weight-1 term per 50 words, and a weight-50 term drops any record under 2 500 words.</summary>
    public double Threshold { get; init; } = 0.02;

    /// <summary>Terms and weights for <see cref="WordListToxicityScorer"/>; null uses its small built-in list.</summary>
    public IReadOnlyDictionary<string, double>? Terms { get; init; }
}

/// <summary>A word-list scorer: the sum of the weights of listed words in the text divided by its word count
/// (weighted hits per word). Words are whitespace tokens with punctuation trimmed, matched case-insensitively;
/// a term is one word (no phrases). Pure, thread-safe, allocation-free.</summary>
public sealed class WordListToxicityScorer : IToxicityScorer
{
    /// <summary>The built-in list: a few mild insults, weight 1 — a placeholder that shows the mechanism. Real lists are
    /// configured per model (<see cref="ToxicityOptions.Terms"/>); none is shipped in source on purpose.</summary>
    public static IReadOnlyDictionary<string, double> DefaultTerms { get; } = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase)
    {
        ["idiot"] = 1,
        ["idiots"] = 1,
        ["moron"] = 1,
        ["morons"] = 1,
        ["stupid"] = 1,
        ["dumb"] = 1,
        ["loser"] = 1,
        ["losers"] = 1,
        ["jerk"] = 1,
        ["crap"] = 1,
        ["damn"] = 1,
        ["shut-up"] = 1,
    };

    readonly WordTable<WordRole> terms;

    public WordListToxicityScorer(IReadOnlyDictionary<string, double>? terms = null)
    {
        var table = new Dictionary<string, WordRole>(StringComparer.OrdinalIgnoreCase);
        foreach ((string term, double weight) in terms ?? DefaultTerms)
        {
            if (string.IsNullOrWhiteSpace(term) || term.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"toxicity term '{term}' must be one word without spaces", nameof(terms));
            }

            if (!double.IsFinite(weight) || weight < 0)
            {
                throw new ArgumentException($"toxicity term '{term}' has weight {weight}; weights must be finite and ≥ 0", nameof(terms));
            }

            table[term] = WordRole.TermOf(weight);
        }

        this.terms = new WordTable<WordRole>(table);
    }

    /// <summary>The terms, for a word scan shared with other rules (see <see cref="TokenList.CountWords"/>).</summary>
    internal WordTable<WordRole> Terms => terms;

    public double Score(ReadOnlySpan<char> text) => Score(TokenList.Scan(text).CountWords(text, terms));

    /// <summary>The score from word counts taken with <see cref="Terms"/>.</summary>
    internal static double Score(in WordCounts counts) => counts.Words == 0 ? 0 : counts.TermWeight / counts.Words;
}
