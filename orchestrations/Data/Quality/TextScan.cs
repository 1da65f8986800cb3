using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

    /// <summary>Marks the whitespace of <paramref name="text"/> in <paramref name="bits"/>: bit <c>i % 64</c> of
    /// <c>bits[i / 64]</c> is set when <c>text[i]</c> is whitespace (<see cref="char.IsWhiteSpace(char)"/>); the bits past the
    /// end are set too. <paramref name="bits"/> needs <see cref="BitWords"/> values.</summary>
    /// <remarks>Lets a word scan jump from word to word with bit counts instead of testing every character behind a
    /// branch that mispredicts at every word end. ASCII is classified 16 characters at a time; only non-ASCII
    /// characters (rare) are asked of <see cref="char.IsWhiteSpace(char)"/> one by one.</remarks>
    public static void MarkWhitespace(ReadOnlySpan<char> text, Span<ulong> bits)
    {
        int blocks = BitWords(text.Length);
        ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        for (int b = 0; b < blocks; b++)
        {
            int first = b * 64;
            int count = Math.Min(64, text.Length - first);
            ulong mask = 0;
            if (count == 64 && Vector256.IsHardwareAccelerated)
            {
                ulong nonAscii = 0;
                for (int k = 0; k < 4; k++)
                {
                    Vector256<ushort> v = Vector256.LoadUnsafe(ref chars, (nuint)(first + (k * 16)));

                    // ASCII whitespace is ' ' and '\t' through '\r'.
                    Vector256<ushort> space = Vector256.Equals(v, Vector256.Create((ushort)' '))
                        | Vector256.LessThanOrEqual(v - Vector256.Create((ushort)'\t'), Vector256.Create((ushort)('\r' - '\t')));
                    mask |= (ulong)space.ExtractMostSignificantBits() << (k * 16);
                    nonAscii |= (ulong)Vector256.GreaterThan(v, Vector256.Create((ushort)0x7F)).ExtractMostSignificantBits() << (k * 16);
                }

                for (; nonAscii != 0; nonAscii &= nonAscii - 1)
                {
                    int i = BitOperations.TrailingZeroCount(nonAscii);
                    mask |= char.IsWhiteSpace(text[first + i]) ? 1UL << i : 0;
                }
            }
            else
            {
                for (int i = 0; i < count; i++)
                {
                    mask |= char.IsWhiteSpace(text[first + i]) ? 1UL << i : 0;
                }

                // Past the end counts as whitespace, so the last word ends at the text's end.
                mask |= count == 64 ? 0 : ~0UL << count;
            }

            bits[b] = mask;
        }
    }

    /// <summary>The number of 64-bit values <see cref="MarkWhitespace"/> needs for a text of <paramref name="length"/> characters.</summary>
    public static int BitWords(int length) => (length + 63) >> 6;

    /// <summary>As <see cref="NextToken(ReadOnlySpan{char}, ref int, out int, out int)"/>, over the whitespace
    /// <paramref name="bits"/> of a text of <paramref name="length"/> characters (see <see cref="MarkWhitespace"/>).</summary>
    public static bool NextToken(ReadOnlySpan<ulong> bits, int length, ref int pos, out int start, out int tokenLength)
    {
        int p = pos;
        while (p < length)
        {
            ulong words = ~bits[p >> 6] >> (p & 63);
            if (words != 0)
            {
                p += BitOperations.TrailingZeroCount(words);
                break;
            }

            p = ((p >> 6) + 1) << 6;
        }

        if (p >= length)
        {
            (pos, start, tokenLength) = (length, length, 0);
            return false;
        }

        int e = p;
        while (true)
        {
            // Terminates: the bits past the end are set.
            ulong spaces = bits[e >> 6] >> (e & 63);
            if (spaces != 0)
            {
                e += BitOperations.TrailingZeroCount(spaces);
                break;
            }

            e = ((e >> 6) + 1) << 6;
            if (e >= length)
            {
                e = length;
                break;
            }
        }

        (pos, start, tokenLength) = (e, p, e - p);
        return true;
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

/// <summary>The whitespace-separated tokens of a text, in order (as <see cref="TextScan.NextToken(ReadOnlySpan{char}, ref int, out int, out int)"/>
/// finds them), found from the text's whitespace bits. Dispose it to return a pooled buffer.</summary>
/// <example><c>using var tokens = new TokenScanner(text, stackalloc ulong[TokenScanner.StackWords]);</c></example>
ref struct TokenScanner
{
    /// <summary>Bit words for a text of up to 4 096 characters: the size of a scratch span worth taking from the stack.</summary>
    public const int StackWords = 64;

    readonly ReadOnlySpan<ulong> bits;
    readonly int length;
    readonly ulong[]? rented;
    int pos;

    public TokenScanner(ReadOnlySpan<char> text, Span<ulong> scratch)
    {
        int words = TextScan.BitWords(text.Length);
        Span<ulong> span = words <= scratch.Length ? scratch : (rented = ArrayPool<ulong>.Shared.Rent(words));
        TextScan.MarkWhitespace(text, span);
        bits = span[..words];
        length = text.Length;
    }

    public bool Next(out int start, out int tokenLength) => TextScan.NextToken(bits, length, ref pos, out start, out tokenLength);

    public readonly void Dispose()
    {
        if (rented is not null)
        {
            ArrayPool<ulong>.Shared.Return(rented);
        }
    }
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

    /// <summary>A 1 024-bit filter over (length, first, last character folded to lower case) of the ASCII keys: a word
    /// whose bit is clear is in no key's equivalence class, which rejects most words with one load.</summary>
    readonly ulong[] endsFilter = new ulong[16];

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
            if (key.Length > 0)
            {
                int bit = EndsBit(key.Length, key[0], key[^1]);
                endsFilter[bit >> 6] |= 1UL << bit;
            }
        }
    }

    public bool Contains(ReadOnlySpan<char> word) => TryGetValue(word, out _);

    public bool TryGetValue(ReadOnlySpan<char> word, [MaybeNullWhen(false)] out TValue value)
    {
        // With ASCII keys only, a word with ASCII ends can equal a key only if its length and folded ends equal the
        // key's (OrdinalIgnoreCase compares character by character, and folds an ASCII character only to ASCII).
        if (everyKeyAscii && word.Length > 0 && char.IsAscii(word[0]) && char.IsAscii(word[^1]))
        {
            int bit = EndsBit(word.Length, word[0], word[^1]);
            if ((endsFilter[bit >> 6] & (1UL << bit)) == 0)
            {
                value = default;
                return false;
            }
        }

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

    static int EndsBit(int length, char first, char last) =>
        (int)((((uint)length * 0x9E37_79B9) ^ (Fold(first) * 0x85EB_CA6B) ^ (Fold(last) * 0xC2B2_AE35)) >> 22);

    static uint Fold(char c) => char.IsAsciiLetterUpper(c) ? c | 0x20u : c;

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

            h = (h ^ Fold(c)) * 16_777_619;
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
