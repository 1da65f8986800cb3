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

    readonly uint[] seeds = new uint[SignatureLength];

    /// <summary>A hasher whose 128 permutations derive from <paramref name="seed"/> (SplitMix64).</summary>
    public MinHasher(ulong seed = DefaultSeed)
    {
        Seed = seed;
        var state = seed;
        for (var i = 0; i < seeds.Length; i++)
        {
            state += 0x9E37_79B9_7F4A_7C15;
            seeds[i] = (uint)Mix64(state);
        }
    }

    /// <summary>The hasher every stage uses unless told otherwise.</summary>
    public static MinHasher Default { get; } = new();

    public ulong Seed { get; }

    /// <summary>Writes the signature of <paramref name="text"/> into <paramref name="signature"/> (128 values).</summary>
    /// <returns>The number of shingles hashed: 0 when the text has no word (the signature is then all
    /// <see cref="uint.MaxValue"/> and should not be indexed).</returns>
    public int Compute(ReadOnlySpan<char> text, Span<uint> signature)
    {
        if (signature.Length != SignatureLength)
        {
            throw new ArgumentException($"a signature holds {SignatureLength} values; the span has {signature.Length}", nameof(signature));
        }

        signature.Fill(uint.MaxValue);
        ref var minima = ref MemoryMarshal.GetReference(signature);
        ref var seed = ref MemoryMarshal.GetArrayDataReference(seeds);
        ulong w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        var words = 0;
        var shingles = 0;
        var position = 0;
        while (NextWord(text, ref position, out var word))
        {
            words++;
            if (words >= ShingleWords)
            {
                Update(ref minima, ref seed, (uint)Shingle(w0, w1, w2, w3, word, ShingleWords));
                shingles++;
            }

            (w0, w1, w2, w3) = (w1, w2, w3, word);
        }

        if (words is > 0 and < ShingleWords)
        {
            // The ring holds the words right-aligned: w3 is the last one.
            ulong a = words >= 4 ? w0 : 0, b = words >= 3 ? w1 : 0, c = words >= 2 ? w2 : 0;
            Update(ref minima, ref seed, (uint)Shingle(a, b, c, w3, 0, words));
            shingles = 1;
        }

        return shingles;
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
    public static List<ulong> ShingleHashes(ReadOnlySpan<char> text)
    {
        var hashes = new List<ulong>();
        ulong w0 = 0, w1 = 0, w2 = 0, w3 = 0;
        var words = 0;
        var position = 0;
        while (NextWord(text, ref position, out var word))
        {
            words++;
            if (words >= ShingleWords)
            {
                hashes.Add(Shingle(w0, w1, w2, w3, word, ShingleWords));
            }

            (w0, w1, w2, w3) = (w1, w2, w3, word);
        }

        if (words is > 0 and < ShingleWords)
        {
            ulong a = words >= 4 ? w0 : 0, b = words >= 3 ? w1 : 0, c = words >= 2 ? w2 : 0;
            hashes.Add(Shingle(a, b, c, w3, 0, words));
        }

        return hashes;
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Update(ref uint minima, ref uint seed, uint shingle)
    {
        // The JIT folds IsHardwareAccelerated to a constant: one of the two loops is compiled.
        if (Vector512.IsHardwareAccelerated)
        {
            var x512 = Vector512.Create(shingle);
            for (var i = 0; i < SignatureLength; i += Vector512<uint>.Count)
            {
                var h = x512 ^ Vector512.LoadUnsafe(ref seed, (nuint)i);
                h ^= h >>> 16;
                h *= 0x85EB_CA6B;
                h ^= h >>> 13;
                h *= 0xC2B2_AE35;
                h ^= h >>> 16;
                Vector512.Min(Vector512.LoadUnsafe(ref minima, (nuint)i), h).StoreUnsafe(ref minima, (nuint)i);
            }

            return;
        }

        var x = new Vector<uint>(shingle);
        var c1 = new Vector<uint>(0x85EB_CA6B);
        var c2 = new Vector<uint>(0xC2B2_AE35);
        for (var i = 0; i < SignatureLength; i += Vector<uint>.Count)
        {
            // MurmurHash3's fmix32 is a bijection with full avalanche: each seed gives an independent-looking permutation.
            var h = x ^ Vector.LoadUnsafe(ref seed, (nuint)i);
            h ^= Vector.ShiftRightLogical(h, 16);
            h *= c1;
            h ^= Vector.ShiftRightLogical(h, 13);
            h *= c2;
            h ^= Vector.ShiftRightLogical(h, 16);
            Vector.Min(Vector.LoadUnsafe(ref minima, (nuint)i), h).StoreUnsafe(ref minima, (nuint)i);
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

    /// <summary>SplitMix64's finaliser.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix64(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB;
        return z ^ (z >> 31);
    }
}
