using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace GenAiServerless.Data.Dedup;

/// <summary>MinHash signatures of texts over shingles of five lower-cased words: 128 values a text, the same on every run.</summary>
/// <remarks>
/// A word is a maximal run of letters, digits or surrogate pairs, lower-cased (invariant culture); everything else
/// separates words, so punctuation and whitespace do not change a signature. Each word is hashed once (FNV-1a folded
/// through a 64-bit finaliser), five word hashes are combined into one 64-bit shingle hash without touching the text
/// again, and the 128 permutations are <c>fmix32(shingle ^ seed_i)</c> over SIMD lanes, keeping the minima in place.
/// A text with fewer than five words has one shingle: all its words. A text with no word has no shingle and its
/// signature is all <see cref="uint.MaxValue"/> (see <see cref="Compute(ReadOnlySpan{char}, Span{uint})"/>).
/// </remarks>
public sealed class MinHasher
{
    /// <summary>Values in a signature (permutations).</summary>
    public const int SignatureLength = 128;

    /// <summary>Words in a shingle.</summary>
    public const int ShingleWords = 5;

    /// <summary>The seed of <see cref="Default"/>; a persisted index is only valid with signatures from the same seed.</summary>
    public const ulong DefaultSeed = 0x6D69_6E68_6173_6831; // "minhash1"

    const ulong FnvOffset = 0xCBF2_9CE4_8422_2325;
    const ulong FnvPrime = 0x0000_0100_0000_01B3;
    const ulong ShinglePrime = 0x9E37_79B9_7F4A_7C15;

    /// <summary>The 128 permutation seeds, each XOR itself shifted right by 16 (the seed's half of fmix32's first step).</summary>
    readonly uint[] seeds = new uint[SignatureLength];

    /// <summary>A hasher whose 128 permutations derive from <paramref name="seed"/> (SplitMix64).</summary>
    public MinHasher(ulong seed = DefaultSeed)
    {
        Seed = seed;
        var state = seed;
        for (var i = 0; i < seeds.Length; i++)
        {
            state += 0x9E37_79B9_7F4A_7C15;
            var seed32 = (uint)Mix64(state);
            seeds[i] = seed32 ^ (seed32 >> 16);
        }
    }

    /// <summary>The hasher every stage uses unless told otherwise.</summary>
    public static MinHasher Default { get; } = new();

    public ulong Seed { get; }

    /// <summary>Writes the signature of <paramref name="text"/> into <paramref name="signature"/> (128 values).</summary>
    /// <returns>The number of shingles hashed: 0 when the text has no word (the signature is then all
    /// <see cref="uint.MaxValue"/> and should not be indexed).</returns>
    [SkipLocalsInit] // every stack buffer is written before it is read: zeroing kilobytes per text would be wasted
    public int Compute(ReadOnlySpan<char> text, Span<uint> signature)
    {
        if (signature.Length != SignatureLength)
        {
            throw new ArgumentException($"a signature holds {SignatureLength} values; the span has {signature.Length}", nameof(signature));
        }

        signature.Fill(uint.MaxValue);
        var capacity = ShingleCapacity(text);
        ulong[]? rentedHashes = null;
        uint[]? rentedKeys = null;
        Span<ulong> hashes = capacity <= StackShingles ? stackalloc ulong[StackShingles] : (rentedHashes = ArrayPool<ulong>.Shared.Rent(capacity));
        Span<uint> keys = capacity <= StackShingles ? stackalloc uint[StackShingles] : (rentedKeys = ArrayPool<uint>.Shared.Rent(capacity));
        try
        {
            var shingles = WriteShingles(text, hashes);
            for (var i = 0; i < shingles; i++)
            {
                // fmix32 starts with h ^= h >> 16; for h = shingle ^ seed that is the shingle's half (here, once per shingle)
                // XOR the seed's half (once, in the constructor).
                var shingle = (uint)hashes[i];
                keys[i] = shingle ^ (shingle >> 16);
            }

            Update(signature, keys[..shingles]);
            return shingles;
        }
        finally
        {
            if (rentedHashes is not null)
            {
                ArrayPool<ulong>.Shared.Return(rentedHashes);
                ArrayPool<uint>.Shared.Return(rentedKeys!);
            }
        }
    }

    /// <summary>The signature of <paramref name="text"/> as a new array.</summary>
    public uint[] Compute(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var signature = new uint[SignatureLength];
        Compute(text.AsSpan(), signature);
        return signature;
    }

    /// <summary>The 64-bit hashes of the text's shingles (with repeats, in text order), for exact Jaccard checks.</summary>
    [SkipLocalsInit] // every stack buffer is written before it is read: zeroing kilobytes per text would be wasted
    public static List<ulong> ShingleHashes(ReadOnlySpan<char> text)
    {
        ulong[]? rented = null;
        Span<ulong> buffer = ShingleCapacity(text) <= StackShingles
            ? stackalloc ulong[StackShingles]
            : (rented = ArrayPool<ulong>.Shared.Rent(ShingleCapacity(text)));
        try
        {
            var count = WriteShingles(text, buffer);
            var hashes = new List<ulong>(count);
            CollectionsMarshal.SetCount(hashes, count);
            buffer[..count].CopyTo(CollectionsMarshal.AsSpan(hashes));
            return hashes;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<ulong>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The distinct shingle hashes of <paramref name="text"/> in ascending order (the set of
    /// <see cref="ShingleHashes"/>), for exact Jaccard checks by a merge of two sorted arrays.</summary>
    /// <remarks>Hashed into a stack or pooled buffer, sorted and deduplicated in place: the result is the only allocation.</remarks>
    [SkipLocalsInit] // every stack buffer is written before it is read: zeroing kilobytes per text would be wasted
    public static ulong[] ShingleSet(ReadOnlySpan<char> text)
    {
        // The first half of the buffer takes the hashes, the second is the scratch space of the sort.
        var capacity = ShingleCapacity(text);
        ulong[]? rented = null;
        Span<ulong> buffer = capacity <= StackShingles
            ? stackalloc ulong[2 * StackShingles]
            : (rented = ArrayPool<ulong>.Shared.Rent(2 * capacity));
        try
        {
            var hashes = buffer[..WriteShingles(text, buffer[..capacity])];
            if (hashes.IsEmpty)
            {
                return [];
            }

            UniformSort.Sort(hashes, buffer.Slice(capacity, hashes.Length));
            var distinct = 1;
            for (var i = 1; i < hashes.Length; i++)
            {
                if (hashes[i] != hashes[distinct - 1])
                {
                    hashes[distinct++] = hashes[i];
                }
            }

            return hashes[..distinct].ToArray();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<ulong>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Shingles worth hashing into a stack buffer (4 KB): those of a text up to about 1 000 characters.</summary>
    const int StackShingles = 512;

    /// <summary>An upper bound of the shingles of <paramref name="text"/>: words are separated, so there are at most
    /// (length + 1) / 2 of them, and never more shingles than words.</summary>
    static int ShingleCapacity(ReadOnlySpan<char> text) => (text.Length + 1) / 2;

    /// <summary>Writes the text's shingle hashes, in text order, into <paramref name="hashes"/> (at least
    /// <see cref="ShingleCapacity"/> values); returns how many.</summary>
    static int WriteShingles(ReadOnlySpan<char> text, Span<ulong> hashes)
    {
        var words = HashWords(text, hashes);
        var mixed = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // Word hashes are independent: eight 64-bit multiplies to a vector instruction rather than one per scalar one.
            ref var word = ref MemoryMarshal.GetReference(hashes);
            for (; mixed + Vector512<ulong>.Count <= words; mixed += Vector512<ulong>.Count)
            {
                Mix64(Vector512.LoadUnsafe(ref word, (nuint)mixed)).StoreUnsafe(ref word, (nuint)mixed);
            }
        }

        for (var i = mixed; i < words; i++)
        {
            hashes[i] = Mix64(hashes[i]);
        }

        if (words >= ShingleWords)
        {
            // In place: shingle i reads words i..i+4 and is written over word i, which no later shingle reads (nor a later
            // vector of eight shingles, which starts eight words on).
            var shingles = words - ShingleWords + 1;
            var done = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                ref var word = ref MemoryMarshal.GetReference(hashes);
                for (; done + Vector512<ulong>.Count <= shingles; done += Vector512<ulong>.Count)
                {
                    var at = (nuint)done;
                    var h = Vector512.Create(unchecked((ulong)ShingleWords * ShinglePrime)) + Vector512.LoadUnsafe(ref word, at);
                    h = (h * ShinglePrime) + Vector512.LoadUnsafe(ref word, at + 1);
                    h = (h * ShinglePrime) + Vector512.LoadUnsafe(ref word, at + 2);
                    h = (h * ShinglePrime) + Vector512.LoadUnsafe(ref word, at + 3);
                    h = (h * ShinglePrime) + Vector512.LoadUnsafe(ref word, at + 4);
                    Mix64(h).StoreUnsafe(ref word, at);
                }
            }

            for (var i = done; i < shingles; i++)
            {
                hashes[i] = Shingle(hashes[i], hashes[i + 1], hashes[i + 2], hashes[i + 3], hashes[i + 4], ShingleWords);
            }

            return shingles;
        }

        if (words > 0)
        {
            // Fewer than five words: one shingle of them all, right-aligned behind zeros.
            ulong a = words >= 4 ? hashes[words - 4] : 0, b = words >= 3 ? hashes[words - 3] : 0, c = words >= 2 ? hashes[words - 2] : 0;
            hashes[0] = Shingle(a, b, c, hashes[words - 1], 0, words);
            return 1;
        }

        return 0;
    }

    /// <summary>Characters folded into a stack buffer (4 KB) rather than a pooled one.</summary>
    const int StackFolded = 2048;

    /// <summary>Writes the FNV-1a hash of each word's lower-cased characters (before <see cref="Mix64"/>) into
    /// <paramref name="words"/>; returns the number of words.</summary>
    /// <remarks>Two passes: <see cref="FoldText"/> classifies and lower-cases the characters (16 at a time where they are
    /// ASCII), then <see cref="HashFolded"/> runs the hash chains over the folded copy.</remarks>
    [SkipLocalsInit] // every stack buffer is written before it is read: zeroing kilobytes per text would be wasted
    static int HashWords(ReadOnlySpan<char> text, Span<ulong> words)
    {
        char[]? rented = null;
        var folded = (text.Length <= StackFolded ? stackalloc char[StackFolded] : (rented = ArrayPool<char>.Shared.Rent(text.Length)))[..text.Length];
        try
        {
            FoldText(text, folded);
            return HashFolded(folded, words);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Writes <see cref="Fold"/> of every character of <paramref name="text"/> into <paramref name="folded"/>.</summary>
    /// <remarks>A block of ASCII is folded by vector compares (letters are the characters that OR 0x20 puts in 'a'..'z');
    /// a block with any other character goes through <see cref="Fold"/> one character at a time, so the Unicode rules
    /// are exactly those of <see cref="char.IsLetterOrDigit(char)"/> and <see cref="char.ToLowerInvariant(char)"/>.</remarks>
    static void FoldText(ReadOnlySpan<char> text, Span<char> folded)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            ref var source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
            ref var target = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(folded));
            for (; i + Vector<ushort>.Count <= text.Length; i += Vector<ushort>.Count)
            {
                var c = Vector.LoadUnsafe(ref source, (nuint)i);
                if (Vector.GreaterThanAny(c, new Vector<ushort>(0x7F)))
                {
                    for (var k = i; k < i + Vector<ushort>.Count; k++)
                    {
                        folded[k] = Fold(text[k]);
                    }

                    continue;
                }

                var lower = c | new Vector<ushort>(0x20);
                var letter = Vector.LessThan(lower - new Vector<ushort>('a'), new Vector<ushort>(26));
                var digit = Vector.LessThan(c - new Vector<ushort>('0'), new Vector<ushort>(10));
                ((lower & letter) | (c & digit)).StoreUnsafe(ref target, (nuint)i);
            }
        }

        for (; i < text.Length; i++)
        {
            folded[i] = Fold(text[i]);
        }
    }

    /// <summary>Texts shorter than this are hashed by one chain: splitting them would save less than it costs.</summary>
    const int SplitLength = 64;

    /// <summary><see cref="HashWords"/> over text already folded by <see cref="FoldText"/>.</summary>
    /// <remarks>FNV-1a is a chain of dependent multiplies, so one chain over the text waits on the multiply's latency at
    /// every character. The text is cut in two at a word's end near its middle and the halves are hashed side by side by
    /// two independent <see cref="WordChain"/>s; the words come out the same, the first half's into the front of
    /// <paramref name="words"/> and the second half's behind the room the first could need, then moved up behind it.
    /// The first half ends with the separator after a word, so it writes only slots below its word count: half its
    /// length at most. The second half, like any text, writes (length + 1) / 2 slots at most (counting the one a
    /// separator after a separator writes past its last word), so the two fit in the <see cref="ShingleCapacity"/> of
    /// the whole text.</remarks>
    static int HashFolded(ReadOnlySpan<char> folded, Span<ulong> words)
    {
        // The chains write without bounds checks; the remarks above are why this holds.
        Debug.Assert(words.Length >= ShingleCapacity(folded), "the word slots must hold ShingleCapacity values");
        // The cut: the first separator after the first word end at or after the middle (none in a short text).
        var cut = folded.Length;
        if (folded.Length >= SplitLength)
        {
            cut = folded.Length / 2;
            while (cut < folded.Length && folded[cut] == '\0')
            {
                cut++;
            }

            while (cut < folded.Length && folded[cut] != '\0')
            {
                cut++;
            }
        }

        var firstLength = Math.Min(cut + 1, folded.Length);
        var secondSlots = firstLength / 2;
        ref var text = ref MemoryMarshal.GetReference(folded);
        ref var slots = ref MemoryMarshal.GetReference(words);
        var first = new WordChain(ref slots);
        var second = new WordChain(ref Unsafe.Add(ref slots, secondSlots));
        ref var secondText = ref Unsafe.Add(ref text, firstLength);
        nint secondLength = folded.Length - firstLength;
        var together = Math.Min(firstLength, secondLength);
        nint i = 0;
        for (; i < together; i++)
        {
            first.Step(Unsafe.Add(ref text, i));
            second.Step(Unsafe.Add(ref secondText, i));
        }

        for (var j = i; j < firstLength; j++)
        {
            first.Step(Unsafe.Add(ref text, j));
        }

        for (var j = i; j < secondLength; j++)
        {
            second.Step(Unsafe.Add(ref secondText, j));
        }

        var firstCount = first.Finish(ref slots);
        var secondCount = second.Finish(ref Unsafe.Add(ref slots, secondSlots));
        words.Slice(secondSlots, secondCount).CopyTo(words[firstCount..]);
        return firstCount + secondCount;
    }

    /// <summary>FNV-1a over the words of a run of folded characters that starts at a text's start or after a separator,
    /// writing each word's hash to the next slot.</summary>
    /// <remarks>Without a branch on word ends: every character steps the hash, which restarts on a word's first
    /// character, and the hash so far is stored at the current word's slot, which moves on one after a word's last
    /// character. A branch on word ends mispredicts about twice a word; this costs the same for every character. The
    /// caller sizes the slots (see <see cref="HashFolded"/>): a word takes at least two characters with the separator
    /// after it.</remarks>
    ref struct WordChain(ref ulong slots)
    {
        ref ulong slot = ref slots;
        ulong hash = FnvOffset;
        ulong inWord;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Step(ulong lower)
        {
            var letter = (ulong)((long)(0 - lower) >> 63);
            slot = hash;
            slot = ref Unsafe.Add(ref slot, (nint)((inWord & ~letter) >> 63));

            // On a word's first character the hash restarts from the offset; the restart term does not wait on the
            // hash, so a step costs one AND, one XOR and the multiply. On a separator the hash is garbage, never stored
            // as a word: a word's slot is written again at each of its characters.
            hash = ((hash & inWord) ^ ((FnvOffset & ~inWord) ^ lower)) * FnvPrime;
            inWord = letter;
        }

        /// <summary>Stores a word that runs to the end; returns the number of words from <paramref name="first"/> (the
        /// chain's first slot).</summary>
        public int Finish(ref ulong first)
        {
            if (inWord != 0)
            {
                slot = hash;
                slot = ref Unsafe.Add(ref slot, 1);
            }

            return (int)(Unsafe.ByteOffset(ref first, ref slot) / sizeof(ulong));
        }
    }

    /// <summary>The share of positions where two signatures agree: an unbiased estimate of the texts' Jaccard similarity
    /// (standard error √(J(1−J)/128), 0.035 at J = 0.8).</summary>
    public static double EstimateJaccard(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b) => (double)Agreements(a, b) / SignatureLength;

    /// <summary>Positions (of 128) where two signatures agree.</summary>
    public static int Agreements(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        if (a.Length != SignatureLength || b.Length != SignatureLength)
        {
            throw new ArgumentException($"signatures hold {SignatureLength} values (got {a.Length} and {b.Length})");
        }

        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var equal = Vector<uint>.Zero;
        for (var i = 0; i < SignatureLength; i += Vector<uint>.Count)
        {
            // Equal lanes are all ones (−1 as an int); subtracting counts them.
            equal -= Vector.Equals(Vector.LoadUnsafe(ref x, (nuint)i), Vector.LoadUnsafe(ref y, (nuint)i));
        }

        return (int)Vector.Sum(equal);
    }

    /// <summary>Lowers each of the 128 minima to <c>fmix32(shingle ^ seed_i)</c> of every shingle, given as
    /// <paramref name="keys"/> (<c>shingle ^ shingle &gt;&gt; 16</c>, see <see cref="seeds"/>).</summary>
    /// <remarks>Lanes of minima are the outer loop: a vector of minima and its seeds stay in registers while every shingle
    /// passes through them, so memory is touched once per vector rather than once per shingle and vector.</remarks>
    void Update(Span<uint> signature, ReadOnlySpan<uint> keys)
    {
        ref var minima = ref MemoryMarshal.GetReference(signature);
        ref var seed = ref MemoryMarshal.GetArrayDataReference(seeds);

        // The JIT folds IsHardwareAccelerated to a constant: one of the two loops is compiled.
        if (Vector512.IsHardwareAccelerated)
        {
            for (var i = 0; i < SignatureLength; i += Vector512<uint>.Count)
            {
                var s = Vector512.LoadUnsafe(ref seed, (nuint)i);
                var m = Vector512.LoadUnsafe(ref minima, (nuint)i);
                foreach (var key in keys)
                {
                    // MurmurHash3's fmix32 (its first step folded into key and seed) is a bijection with full avalanche:
                    // each seed gives an independent-looking permutation.
                    var h = Vector512.Create(key) ^ s;
                    h *= 0x85EB_CA6B;
                    h ^= h >>> 13;
                    h *= 0xC2B2_AE35;
                    h ^= h >>> 16;
                    m = Vector512.Min(m, h);
                }

                m.StoreUnsafe(ref minima, (nuint)i);
            }

            return;
        }

        var c1 = new Vector<uint>(0x85EB_CA6B);
        var c2 = new Vector<uint>(0xC2B2_AE35);
        for (var i = 0; i < SignatureLength; i += Vector<uint>.Count)
        {
            var s = Vector.LoadUnsafe(ref seed, (nuint)i);
            var m = Vector.LoadUnsafe(ref minima, (nuint)i);
            foreach (var key in keys)
            {
                var h = new Vector<uint>(key) ^ s;
                h *= c1;
                h ^= Vector.ShiftRightLogical(h, 13);
                h *= c2;
                h ^= Vector.ShiftRightLogical(h, 16);
                m = Vector.Min(m, h);
            }

            m.StoreUnsafe(ref minima, (nuint)i);
        }
    }

    /// <summary>Finds the next word at or after <paramref name="position"/> and hashes it lower-cased.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool NextWord(ReadOnlySpan<char> text, ref int position, out ulong hash)
    {
        var i = position;
        char lower = '\0';
        while (i < text.Length && (lower = Fold(text[i])) == '\0')
        {
            i++;
        }

        if (i >= text.Length)
        {
            position = i;
            hash = 0;
            return false;
        }

        var h = FnvOffset;
        do
        {
            h = (h ^ lower) * FnvPrime;
            i++;
        }
        while (i < text.Length && (lower = Fold(text[i])) != '\0');

        position = i;
        hash = Mix64(h);
        return true;
    }

    /// <summary>The character lower-cased if it belongs to a word; '\0' if it separates words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static char Fold(char c)
    {
        if (c < 128)
        {
            return (char)AsciiFold[c];
        }

        return char.IsLetterOrDigit(c) || char.IsSurrogate(c) ? char.ToLowerInvariant(c) : '\0';
    }

    static ReadOnlySpan<byte> AsciiFold =>
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)'0', (byte)'1', (byte)'2', (byte)'3', (byte)'4', (byte)'5', (byte)'6', (byte)'7', (byte)'8', (byte)'9', 0, 0, 0, 0, 0, 0,
        0, (byte)'a', (byte)'b', (byte)'c', (byte)'d', (byte)'e', (byte)'f', (byte)'g', (byte)'h', (byte)'i', (byte)'j', (byte)'k', (byte)'l', (byte)'m', (byte)'n', (byte)'o',
        (byte)'p', (byte)'q', (byte)'r', (byte)'s', (byte)'t', (byte)'u', (byte)'v', (byte)'w', (byte)'x', (byte)'y', (byte)'z', 0, 0, 0, 0, 0,
        0, (byte)'a', (byte)'b', (byte)'c', (byte)'d', (byte)'e', (byte)'f', (byte)'g', (byte)'h', (byte)'i', (byte)'j', (byte)'k', (byte)'l', (byte)'m', (byte)'n', (byte)'o',
        (byte)'p', (byte)'q', (byte)'r', (byte)'s', (byte)'t', (byte)'u', (byte)'v', (byte)'w', (byte)'x', (byte)'y', (byte)'z', 0, 0, 0, 0, 0,
    ];

    /// <summary>One shingle's hash from its word hashes (order matters; the word count separates short texts).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Shingle(ulong a, ulong b, ulong c, ulong d, ulong e, int words)
    {
        var h = (ulong)words;
        h = (h * ShinglePrime) + a;
        h = (h * ShinglePrime) + b;
        h = (h * ShinglePrime) + c;
        h = (h * ShinglePrime) + d;
        h = (h * ShinglePrime) + e;
        return Mix64(h);
    }

    /// <summary>SplitMix64's finaliser of eight values at once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<ulong> Mix64(Vector512<ulong> z)
    {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >>> 31);
    }

    /// <summary>SplitMix64's finaliser.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }
}
