using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;

namespace GenAiServerless.Data.Quality;

/// <summary>Span-level helpers the filters share: words are runs of non-whitespace, lines end at a line break.</summary>
static class TextScan
{
    /// <summary>The next whitespace-separated token at or after <paramref name="pos"/>; false at the end.</summary>
    public static bool NextToken(ReadOnlySpan<char> text, ref int pos, out int start, out int length)
    {
        while (pos < text.Length && char.IsWhiteSpace(text[pos]))
        {
            pos++;
        }

        start = pos;
        while (pos < text.Length && !char.IsWhiteSpace(text[pos]))
        {
            pos++;
        }

        length = pos - start;
        return length > 0;
    }

    /// <summary>The token without leading and trailing punctuation and symbols; empty for a token that is all symbols ("-", "...").</summary>
    public static ReadOnlySpan<char> TrimSymbols(ReadOnlySpan<char> token)
    {
        int s = 0;
        int e = token.Length;
        while (s < e && IsSymbol(token[s]))
        {
            s++;
        }

        while (e > s && IsSymbol(token[e - 1]))
        {
            e--;
        }

        return token[s..e];
    }

    static bool IsSymbol(char c) => char.IsPunctuation(c) || char.IsSymbol(c);

    public static bool HasLetter(ReadOnlySpan<char> token)
    {
        foreach (char c in token)
        {
            if (char.IsLetter(c))
            {
                return true;
            }
        }

        return false;
    }

    public static int CountWords(ReadOnlySpan<char> text) => CountWords(text, int.MaxValue);

    /// <summary>The number of words, counted no further than <paramref name="atMost"/>: a rule that only compares the
    /// count with a minimum need not scan a long line to its end.</summary>
    public static int CountWords(ReadOnlySpan<char> text, int atMost)
    {
        int pos = 0;
        int n = 0;
        while (n < atMost && NextToken(text, ref pos, out _, out _))
        {
            n++;
        }

        return n;
    }

    public static ulong Hash(ReadOnlySpan<char> text) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text));

    public static string Ratio(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>Words with values, matched as <see cref="StringComparer.OrdinalIgnoreCase"/> matches them, for the per-word
/// lookups of the stop-word and toxicity rules.</summary>
/// <remarks>For two ASCII strings, OrdinalIgnoreCase equality is ASCII case-insensitive equality, so an ASCII word (nearly
/// every word) is looked up in a small open-addressing table of the ASCII keys with a cheap folded hash, instead of the
/// comparer's randomised one. The dictionary still answers for a non-ASCII word (under the comparer "ıdiot" equals
/// "IDIOT") and, when some key is not ASCII, for an ASCII word the table does not hold (the key "ſtupid" equals "stupid").</remarks>
sealed class WordTable<TValue>
{
    readonly Dictionary<string, TValue>.AlternateLookup<ReadOnlySpan<char>> all;
    readonly string?[] asciiKeys;
    readonly TValue[] asciiValues;
    readonly int mask;
    readonly bool everyKeyAscii = true;

    /// <param name="words">Keyed with <see cref="StringComparer.OrdinalIgnoreCase"/>; not to be changed afterwards.</param>
    public WordTable(Dictionary<string, TValue> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (!ReferenceEquals(words.Comparer, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException("the words must be keyed with StringComparer.OrdinalIgnoreCase", nameof(words));
        }

        all = words.GetAlternateLookup<ReadOnlySpan<char>>();
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, words.Count * 4));
        asciiKeys = new string?[size];
        asciiValues = new TValue[size];
        mask = size - 1;
        foreach ((string key, TValue value) in words)
        {
            if (!TryFoldedHash(key, out uint hash))
            {
                everyKeyAscii = false;
                continue;
            }

            int slot = (int)(hash & (uint)mask);
            while (asciiKeys[slot] is not null)
            {
                slot = (slot + 1) & mask;
            }

            (asciiKeys[slot], asciiValues[slot]) = (key, value);
        }
    }

    public bool Contains(ReadOnlySpan<char> word) => TryGetValue(word, out _);

    public bool TryGetValue(ReadOnlySpan<char> word, [MaybeNullWhen(false)] out TValue value)
    {
        if (TryFoldedHash(word, out uint hash))
        {
            for (int slot = (int)(hash & (uint)mask); asciiKeys[slot] is { } key; slot = (slot + 1) & mask)
            {
                if (Ascii.EqualsIgnoreCase(word, key))
                {
                    value = asciiValues[slot];
                    return true;
                }
            }

            if (everyKeyAscii)
            {
                value = default;
                return false;
            }
        }

        return all.TryGetValue(word, out value);
    }

    /// <summary>FNV-1a over the ASCII-lower-cased characters; false for a string with a non-ASCII character.</summary>
    static bool TryFoldedHash(ReadOnlySpan<char> word, out uint hash)
    {
        uint h = 2_166_136_261;
        foreach (char c in word)
        {
            if (!char.IsAscii(c))
            {
                hash = 0;
                return false;
            }

            h = (h ^ (char.IsAsciiLetterUpper(c) ? c | 0x20u : c)) * 16_777_619;
        }

        hash = h ^ (h >> 16);
        return true;
    }
}

/// <summary>A reusable open-addressing table of 64-bit keys with counts: far cheaper than a Dictionary for the
/// few hundred n-grams of a record, and cleared rather than reallocated between records.</summary>
/// <remarks>Keys are hashes; 0 marks an empty slot, so a key of 0 is stored as 1 (a collision at 2^-64 odds).</remarks>
sealed class HashCounter
{
    [ThreadStatic]
    static HashCounter? perThread;

    ulong[] keys = new ulong[256];
    int[] counts = new int[256];
    int[] firsts = new int[256];
    int mask = 255;
    int topCount;
    int topFirst = int.MaxValue;

    /// <summary>This thread's table, emptied and sized for <paramref name="expected"/> keys.</summary>
    public static HashCounter Rent(int expected)
    {
        HashCounter table = perThread ??= new HashCounter();
        table.Reset(expected);
        return table;
    }

    void Reset(int expected)
    {
        int size = (int)Math.Max(256, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, expected) * 2));
        if (size > keys.Length)
        {
            keys = new ulong[size];
            counts = new int[size];
            firsts = new int[size];
        }
        else
        {
            Array.Clear(keys, 0, size);
        }

        mask = size - 1;
        (topCount, topFirst) = (0, int.MaxValue);
    }

    /// <summary>Adds one occurrence of <paramref name="key"/>, first seen at <paramref name="index"/>; returns its count so far.</summary>
    public int Increment(ulong key, int index)
    {
        key = key == 0 ? 1 : key;
        int slot = (int)(Mix(key) & (uint)mask);
        while (true)
        {
            ulong k = keys[slot];
            if (k == key)
            {
                int count = ++counts[slot];
                Rank(count, firsts[slot]);
                return count;
            }

            if (k == 0)
            {
                keys[slot] = key;
                counts[slot] = 1;
                firsts[slot] = index;
                Rank(1, index);
                return 1;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>The key with the highest count (ties: the one seen first) and that count.</summary>
    /// <remarks>Kept up to date by <see cref="Increment"/> rather than found by a scan of the table: counts only grow,
    /// so the best (count, first index) over every increment is the best over the final counts.</remarks>
    public (int Count, int FirstIndex) Top() => (topCount, topFirst);

    void Rank(int count, int first)
    {
        if (count > topCount || (count == topCount && first < topFirst))
        {
            (topCount, topFirst) = (count, first);
        }
    }

    static ulong Mix(ulong x) => (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9UL >> 32;
}
