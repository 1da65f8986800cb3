using System.Globalization;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    /// <remarks>Lets a word scan find where words start and end with bit operations instead of testing every character behind a
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

    /// <summary>A 64-bit hash of the word <c>text[start..(start + length)]</c>, for the n-gram rules: equal words hash
    /// equal, different words collide at about 2^-64 odds.</summary>
    /// <remarks>Most words are short and most are not near the text's end: such a word is read as the 16 characters from
    /// its start, with the characters past its end zeroed, and hashed without a branch on its length (a general hash's
    /// branches on the length mispredict from word to word). The zeroed characters and the length make the 16 characters
    /// stand for exactly one word; any other word of up to 16 characters is padded and hashed the same way, so where it
    /// sits does not change its hash. Longer words are hashed with <see cref="XxHash3"/>, a different function, which
    /// costs nothing in exactness: words of different lengths are never equal.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong HashWord(ReadOnlySpan<char> text, int start, int length)
    {
        if (length <= ShortWord && text.Length - start >= ShortWord)
        {
            ref ushort chars = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
            Vector128<ushort> limit = Vector128.Create((ushort)length);
            Vector128<ushort> low = Vector128.LoadUnsafe(ref chars, (nuint)start) & Vector128.LessThan(Lanes, limit);
            Vector128<ushort> high = Vector128.LoadUnsafe(ref chars, (nuint)(start + 8)) & Vector128.LessThan(Lanes + Vector128.Create((ushort)8), limit);
            return HashShortWord(low.AsUInt64(), high.AsUInt64(), length);
        }

        return HashWordApart(text.Slice(start, length));
    }

    const int ShortWord = 16;

    static Vector128<ushort> Lanes => Vector128.Create((ushort)0, 1, 2, 3, 4, 5, 6, 7);

    static ulong HashWordApart(ReadOnlySpan<char> word)
    {
        if (word.Length > ShortWord)
        {
            return Hash(word);
        }

        Span<ushort> padded = stackalloc ushort[ShortWord];
        padded.Clear();
        MemoryMarshal.Cast<char, ushort>(word).CopyTo(padded);
        return HashShortWord(Vector128.Create<ushort>(padded).AsUInt64(), Vector128.Create<ushort>(padded[8..]).AsUInt64(), word.Length);
    }

    /// <summary>Two 64-bit multiplies folded to 64 bits and a final avalanche, the shape XXH3 gives inputs of 17–32 bytes.</summary>
    static ulong HashShortWord(Vector128<ulong> low, Vector128<ulong> high, int length)
    {
        ulong h = (ulong)length * 0x9E3779B185EBCA87UL;
        h += MultiplyFold(low.GetElement(0) ^ 0xBE4BA423396CFEB8UL, low.GetElement(1) ^ 0x1CAD21F72C81017CUL);
        h += MultiplyFold(high.GetElement(0) ^ 0xDB979083E96DD4DEUL, high.GetElement(1) ^ 0x1F67B3B7A4A44072UL);
        h ^= h >> 37;
        h *= 0x165667919E3779F9UL;
        return h ^ (h >> 32);
    }

    static ulong MultiplyFold(ulong a, ulong b)
    {
        ulong high = Math.BigMul(a, b, out ulong low);
        return high ^ low;
    }

    public static string Ratio(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>What one pass over a text's tokens found for the word rules: tokens, words (tokens with punctuation and
/// symbols trimmed that are not empty), their characters, tokens with a letter, stop words, and the summed weights of
/// listed terms.</summary>
readonly record struct WordCounts(int Tokens, int Words, long WordChars, int Alphabetic, int StopWords, double TermWeight);
