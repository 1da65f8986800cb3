using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace GenAiServerless.Data.Quality;

/// <summary>Words with values, matched as <see cref="StringComparer.OrdinalIgnoreCase"/> matches them, for the per-word
/// lookups of the stop-word and toxicity rules.</summary>
/// <remarks>For two ASCII strings, OrdinalIgnoreCase equality is ASCII case-insensitive equality, and per character the
/// comparer folds an ASCII character only with ASCII ones. So a word with ASCII ends can equal an ASCII key only if its
/// length and folded ends equal the key's: the ASCII keys sit in 1 024 buckets by (length, first, last character), which
/// turns most words away with one load and compares the rest with a few keys at most, without hashing the word. The
/// dictionary still answers for a word with a non-ASCII character (under the comparer "ıdiot" equals "IDIOT") and, when
/// some key is not ASCII, for an ASCII word no ASCII key matched (the key "ſtupid" equals "stupid").</remarks>
sealed class WordTable<TValue>
{
    const int BucketBits = 10;

    readonly Dictionary<string, TValue>.AlternateLookup<ReadOnlySpan<char>> all;
    readonly int[] buckets = new int[1 << BucketBits];
    readonly int[] next;
    readonly string[] asciiKeys;
    readonly TValue[] asciiValues;
    readonly bool everyKeyAscii = true;

    /// <param name="words">Keyed with <see cref="StringComparer.OrdinalIgnoreCase"/>; not to be changed afterwards.</param>
    public WordTable(Dictionary<string, TValue> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (!ReferenceEquals(words.Comparer, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException("the words must be keyed with StringComparer.OrdinalIgnoreCase", nameof(words));
        }

        Words = words;
        all = words.GetAlternateLookup<ReadOnlySpan<char>>();
        Array.Fill(buckets, -1);
        next = new int[words.Count];
        asciiKeys = new string[words.Count];
        asciiValues = new TValue[words.Count];
        int n = 0;
        foreach ((string key, TValue value) in words)
        {
            if (!Ascii.IsValid(key))
            {
                everyKeyAscii = false;
                continue;
            }

            if (key.Length == 0)
            {
                // Never a word; the dictionary answers for an empty span.
                continue;
            }

            int bucket = Bucket(key.Length, key[0], key[^1]);
            (asciiKeys[n], asciiValues[n], next[n], buckets[bucket]) = (key.ToLowerInvariant(), value, buckets[bucket], n);
            n++;
        }
    }

    /// <summary>The words and values the table was built from.</summary>
    public IReadOnlyDictionary<string, TValue> Words { get; }

    public bool Contains(ReadOnlySpan<char> word) => TryGetValue(word, out _);

    /// <remarks>Inlined into the caller's word loop: the dictionary, for the rare words the buckets cannot decide, is not.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(ReadOnlySpan<char> word, [MaybeNullWhen(false)] out TValue value)
    {
        if (word.Length > 0 && char.IsAscii(word[0]) && char.IsAscii(word[^1]))
        {
            int k = buckets[Bucket(word.Length, word[0], word[^1])];
            if (k < 0 && everyKeyAscii)
            {
                value = default;
                return false;
            }

            for (; k >= 0; k = next[k])
            {
                // False for a word with a non-ASCII character: the dictionary decides for such a word.
                if (EqualsFolded(word, asciiKeys[k]))
                {
                    value = asciiValues[k];
                    return true;
                }
            }
        }

        return FindOther(word, out value);
    }

    /// <summary>The dictionary's answer for a word no ASCII key equals, unless it is ASCII and every key is too.</summary>
    bool FindOther(ReadOnlySpan<char> word, [MaybeNullWhen(false)] out TValue value)
    {
        if (everyKeyAscii && Ascii.IsValid(word))
        {
            value = default;
            return false;
        }

        return all.TryGetValue(word, out value);
    }

    /// <summary>ASCII case-insensitive equality with a key stored lower-cased; false when the word has a non-ASCII character.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool EqualsFolded(ReadOnlySpan<char> word, string lowerKey)
    {
        if (word.Length != lowerKey.Length)
        {
            return false;
        }

        for (int i = 0; i < word.Length; i++)
        {
            if (Fold(word[i]) != lowerKey[i])
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Bucket(int length, char first, char last) =>
        (int)((((uint)length * 0x9E37_79B9) ^ (Fold(first) * 0x85EB_CA6B) ^ (Fold(last) * 0xC2B2_AE35)) >> (32 - BucketBits));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static uint Fold(char c) => char.IsAsciiLetterUpper(c) ? c | 0x20u : c;
}
