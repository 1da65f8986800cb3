using System.Numerics;
using System.Runtime.CompilerServices;

namespace GenAiServerless.Data.Quality;

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix(ulong x) => (x ^ (x >> 29)) * 0xBF58476D1CE4E5B9UL >> 32;
}
