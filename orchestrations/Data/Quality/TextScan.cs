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

    static int Bucket(int length, char first, char last) =>
        (int)((((uint)length * 0x9E37_79B9) ^ (Fold(first) * 0x85EB_CA6B) ^ (Fold(last) * 0xC2B2_AE35)) >> (32 - BucketBits));

    static uint Fold(char c) => char.IsAsciiLetterUpper(c) ? c | 0x20u : c;
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
    int[] visits = new int[256];
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

    /// <summary>Empties the table and sizes it for <paramref name="expected"/> keys.</summary>
    public void Reset(int expected)
    {
        // At most a quarter full: most keys are new, and a probe that runs on past a taken slot costs a mispredicted branch.
        int size = (int)Math.Max(16, BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, expected) * 4));
        if (size > keys.Length)
        {
            keys = new ulong[size];
            counts = new int[size];
            firsts = new int[size];
            visits = new int[size];
        }
        else
        {
            Array.Clear(keys, 0, size);
        }

        mask = size - 1;
        (topCount, topFirst) = (0, int.MaxValue);
    }

    /// <summary>Adds one occurrence of <paramref name="key"/>, first seen at <paramref name="index"/>; returns its count so far.</summary>
    public int Increment(ulong key, int index) => counts[Add(key, index)];

    /// <summary>Adds one occurrence of <paramref name="key"/>, first seen at <paramref name="index"/>; returns its slot,
    /// for <see cref="CountAt"/> and <see cref="Visit"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Add(ulong key, int index)
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
                return slot;
            }

            if (k == 0)
            {
                keys[slot] = key;
                counts[slot] = 1;
                firsts[slot] = index;
                visits[slot] = 0;
                Rank(1, index);
                return slot;
            }

            slot = (slot + 1) & mask;
        }
    }

    /// <summary>The occurrences added so far of the key in <paramref name="slot"/>.</summary>
    public int CountAt(int slot) => counts[slot];

    /// <summary>Counts one visit of the key in <paramref name="slot"/>, a second tally beside the occurrences (for a walk
    /// that looks at some occurrences only); returns the visits so far.</summary>
    public int Visit(int slot) => ++visits[slot];

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
