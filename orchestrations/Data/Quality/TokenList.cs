using System.Numerics;

namespace GenAiServerless.Data.Quality;

/// <summary>The whitespace-separated tokens of the text last scanned on this thread (as
/// <see cref="TextScan.NextToken(ReadOnlySpan{char}, ref int, out int, out int)"/> finds them), so the Gopher quality,
/// Gopher repetition and toxicity rules read one scan of a record instead of tokenising it three times.</summary>
/// <remarks>Valid until the next <see cref="Scan"/> on the same thread. Token bounds come from the whitespace bits
/// (<see cref="TextScan.MarkWhitespace"/>) 64 characters at a time: a token starts where a non-whitespace character
/// follows whitespace and ends where whitespace follows it.</remarks>
sealed class TokenList
{
    [ThreadStatic]
    static TokenList? perThread;

    int[] starts = new int[256];
    int[] ends = new int[256];
    ulong[] bits = new ulong[64];

    public int Count { get; private set; }

    /// <summary>Where each token starts.</summary>
    public ReadOnlySpan<int> Starts => starts.AsSpan(0, Count);

    /// <summary>Where each token ends (exclusive).</summary>
    public ReadOnlySpan<int> Ends => ends.AsSpan(0, Count);

    /// <summary>Texts longer than this get a list of their own, so a thread does not keep megabytes for one rare huge record.</summary>
    const int KeptLength = 1 << 20;

    /// <summary>This thread's list, holding the tokens of <paramref name="text"/>.</summary>
    public static TokenList Scan(ReadOnlySpan<char> text)
    {
        TokenList tokens = text.Length > KeptLength ? new TokenList() : perThread ??= new TokenList();
        tokens.Fill(text);
        return tokens;
    }

    void Fill(ReadOnlySpan<char> text)
    {
        int blocks = TextScan.BitWords(text.Length);
        if (blocks > bits.Length)
        {
            bits = new ulong[blocks];
        }

        // At most one token per two characters, and a block writes at most 32 starts and ends.
        int capacity = (blocks * 32) + 1;
        if (capacity > starts.Length)
        {
            starts = new int[capacity];
            ends = new int[capacity];
        }

        Span<ulong> whitespace = bits.AsSpan(0, blocks);
        TextScan.MarkWhitespace(text, whitespace);
        int started = 0;
        int ended = 0;
        ulong carry = 0;
        for (int b = 0; b < whitespace.Length; b++)
        {
            ulong word = ~whitespace[b];
            ulong afterWord = (word << 1) | carry;
            int first = b << 6;
            for (ulong m = word & ~afterWord; m != 0; m &= m - 1)
            {
                starts[started++] = first + BitOperations.TrailingZeroCount(m);
            }

            for (ulong m = ~word & afterWord; m != 0; m &= m - 1)
            {
                ends[ended++] = first + BitOperations.TrailingZeroCount(m);
            }

            carry = word >> 63;
        }

        if (carry != 0)
        {
            // The last token runs to the end of a text that fills its last block.
            ends[ended] = text.Length;
        }

        Count = started;
    }

    /// <summary>Counts the words of the scanned <paramref name="text"/>, looking each up in <paramref name="listed"/> when given.</summary>
    public WordCounts CountWords(ReadOnlySpan<char> text, WordTable<WordRole>? listed)
    {
        int words = 0;
        long wordChars = 0;
        int alphabetic = 0;
        int stops = 0;
        double weight = 0;
        ReadOnlySpan<int> tokenEnds = Ends;
        ReadOnlySpan<int> tokenStarts = Starts[..tokenEnds.Length];
        for (int i = 0; i < tokenStarts.Length; i++)
        {
            ReadOnlySpan<char> token = text[tokenStarts[i]..tokenEnds[i]];
            ReadOnlySpan<char> word;
            if (char.IsAsciiLetter(token[0]) && char.IsAsciiLetterOrDigit(token[^1]))
            {
                // A plain word (most tokens): it has a letter, and neither end is punctuation or a symbol to trim.
                alphabetic++;
                word = token;
            }
            else
            {
                alphabetic += TextScan.HasLetter(token) ? 1 : 0;
                word = TextScan.TrimSymbols(token);
                if (word.IsEmpty)
                {
                    continue;
                }
            }

            words++;
            wordChars += word.Length;
            if (listed is not null && listed.TryGetValue(word, out WordRole role))
            {
                stops += role.StopWord ? 1 : 0;

                // Only hits are added (weights are finite and ≥ 0), in token order: the sum is that of a scan of its own.
                if (role.Term)
                {
                    weight += role.Weight;
                }
            }
        }

        return new WordCounts(tokenStarts.Length, words, wordChars, alphabetic, stops, weight);
    }
}

/// <summary>What a listed word is to the word rules: a Gopher stop word, a toxicity term with its weight, or both.</summary>
readonly record struct WordRole(bool StopWord, bool Term, double Weight)
{
    public static WordRole Stop { get; } = new(true, false, 0);

    public static WordRole TermOf(double weight) => new(false, true, weight);

    /// <summary>The roles of a word listed in both <paramref name="stopWords"/> and <paramref name="terms"/>, for one
    /// lookup per word where both rules run.</summary>
    public static WordTable<WordRole> Merge(WordTable<WordRole> stopWords, WordTable<WordRole> terms)
    {
        var merged = new Dictionary<string, WordRole>(stopWords.Words, StringComparer.OrdinalIgnoreCase);
        foreach ((string word, WordRole role) in terms.Words)
        {
            // The comparer's equality is an equivalence, so one entry per class answers for both lists.
            merged[word] = merged.TryGetValue(word, out WordRole stop) ? role with { StopWord = stop.StopWord } : role;
        }

        return new WordTable<WordRole>(merged);
    }
}
