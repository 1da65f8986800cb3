using System.Globalization;
using System.Runtime.InteropServices;
using System.IO.Hashing;

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

    public static int CountWords(ReadOnlySpan<char> text)
    {
        int pos = 0;
        int n = 0;
        while (NextToken(text, ref pos, out _, out _))
        {
            n++;
        }

        return n;
    }

    public static ulong Hash(ReadOnlySpan<char> text) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text));

    public static string Ratio(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
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
                return ++counts[slot];
            }

            if (k == 0)
            {
                keys[slot] = key;
                counts[slot] = 1;
                firsts[slot] = index;
                return 1;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>The key with the highest count (ties: the one seen first) and that count.</summary>
    public (int Count, int FirstIndex) Top()
    {
        int best = 0;
        int first = int.MaxValue;
        for (int i = 0; i <= mask; i++)
        {
            if (keys[i] != 0 && (counts[i] > best || (counts[i] == best && firsts[i] < first)))
            {
                (best, first) = (counts[i], firsts[i]);
            }
        }

        return (best, first);
    }

    static ulong Mix(ulong x) => (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9UL >> 32;
}
