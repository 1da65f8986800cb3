using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;

namespace GenAiServerless.Data.Dedup;

/// <summary>Near-duplicate removal by MinHash LSH: bands signatures, verifies candidates on the full signature,
/// clusters with union-find and keeps one record per cluster; remembers what it kept, across drops.</summary>
/// <remarks>
/// <para>Within a cluster the keeper is the earliest member: records already in the index (in the order they were
/// committed) come before any record of the drop, and records of the drop are ordered by (order, id). The clusters
/// are the connected components of the verified pairs, which do not depend on the order pairs are examined in, so the
/// outcome is the same for any sharding, input order or thread count.</para>
/// <para>Memory per indexed record: its 128-value signature (512 B), its id (≈ 20 + 2 × length B plus the reference),
/// and per band a dictionary slot and a chain link (≈ 24 + 4 B, × 20 bands = 560 B): about 1.1 KB with a 20-character
/// id; 10 M curated records ≈ 11 GB in memory. A saved index holds only ids and signatures (≈ 535 B a record); the
/// band tables are built when a drop is first prepared against it.</para>
/// <para>Not thread-safe: one fan-in at a time owns an index.</para>
/// </remarks>
public sealed partial class LshIndex
{
    const string Magic = "GenAiServerless.LshIndex";
    const int FormatVersion = 2; // 2: the checksum hashes the ids' and the signatures' hashes
    const int Length = MinHasher.SignatureLength;

    readonly Dictionary<ulong, int>[] heads;
    readonly List<string> ids = [];
    uint[] signatures = new uint[1024 * Length];
    int[] next = [];
    int tabled;

    /// <summary>An empty index for signatures made by a <see cref="MinHasher"/> with <paramref name="hasherSeed"/>.</summary>
    public LshIndex(LshOptions? options = null, ulong hasherSeed = MinHasher.DefaultSeed)
    {
        Options = (options ?? LshOptions.Default).Validate();
        HasherSeed = hasherSeed;
        heads = new Dictionary<ulong, int>[Options.Bands];
        for (var b = 0; b < heads.Length; b++)
        {
            heads[b] = [];
        }
    }

    public LshOptions Options { get; }

    /// <summary>The seed of the hasher whose signatures this index holds; signatures of another seed do not compare.</summary>
    public ulong HasherSeed { get; }

    /// <summary>Records indexed (kept by earlier drops).</summary>
    public int Count => ids.Count;

    /// <summary>The id of the <paramref name="entry"/>-th record committed.</summary>
    public string IdAt(int entry) => ids[entry];

    /// <summary>The index entries whose signatures verify against <paramref name="signature"/>, having shared a band.</summary>
    internal List<int>? MatchesInIndex(ReadOnlySpan<uint> signature, out long compared)
    {
        compared = 0;
        List<int>? found = null;
        HashSet<int>? seen = null;
        for (var b = 0; b < Options.Bands; b++)
        {
            if (!heads[b].TryGetValue(BandKey(signature, b), out var entry))
            {
                continue;
            }

            for (; entry >= 0; entry = next[(entry * Options.Bands) + b])
            {
                if (!(seen ??= []).Add(entry))
                {
                    continue;
                }

                compared++;
                if (Verifies(signature, EntrySignature(entry)))
                {
                    (found ??= []).Add(entry);
                }
            }
        }

        return found;
    }

    /// <summary>The low bits of a packed band key that hold the record number, for a drop of <paramref name="records"/>.</summary>
    internal static int RecordBits(int records) => Math.Max(1, 64 - BitOperations.LeadingZeroCount((ulong)Math.Max(1, records - 1)));

    bool Verifies(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b) =>
        MinHasher.Agreements(a, b) >= Options.VerifyThreshold * Length;

    internal ulong BandKey(ReadOnlySpan<uint> signature, int band) =>
        XxHash3.HashToUInt64(MemoryMarshal.AsBytes(signature.Slice(band * Options.Rows, Options.Rows)), band);

    ReadOnlySpan<uint> EntrySignature(int entry) => signatures.AsSpan(entry * Length, Length);

    /// <summary>Adds an entry; its band keys go into the tables only when a drop is next prepared (an index that is
    /// loaded, extended and saved without being searched never builds them).</summary>
    void Append(string id, ReadOnlySpan<uint> signature)
    {
        var entry = ids.Count;
        if ((long)(entry + 1) * Length > signatures.Length)
        {
            CheckLimit(entry + 1);
            Array.Resize(ref signatures, (int)Math.Min((long)MaxEntries * Length, Math.Max((long)signatures.Length * 2, (long)(entry + 1) * Length)));
        }

        ids.Add(id);
        signature.CopyTo(signatures.AsSpan(entry * Length, Length));
    }

    /// <summary>Room for <paramref name="entries"/> signatures, grown once rather than by doubling.</summary>
    void Reserve(long entries)
    {
        CheckLimit(entries);
        if (entries * Length > signatures.Length)
        {
            Array.Resize(ref signatures, (int)(entries * Length));
        }
    }

    /// <summary>The most records one index holds: its signatures are one array of at most 2^31 − 1 values.</summary>
    public const int MaxEntries = int.MaxValue / Length;

    static void CheckLimit(long entries)
    {
        if (entries > MaxEntries)
        {
            throw new InvalidOperationException(
                $"the near-duplicate index would hold {entries:N0} records; one index holds at most {MaxEntries:N0} (its signatures are one array): " +
                "start the model on a new index (move its _index/latest.txt away) or split the model's data across models");
        }
    }

    /// <summary>Puts the band keys of every entry not yet tabled into the band tables.</summary>
    void EnsureBandTables()
    {
        var bands = Options.Bands;
        if (Count * bands > next.Length)
        {
            Array.Resize(ref next, Math.Max(next.Length * 2, Count * bands));
        }

        for (; tabled < Count; tabled++)
        {
            var signature = EntrySignature(tabled);
            for (var b = 0; b < bands; b++)
            {
                // The newest entry heads its chain; the chain is walked whole, so its order does not matter.
                ref var head = ref CollectionsMarshal.GetValueRefOrAddDefault(heads[b], BandKey(signature, b), out var exists);
                next[(tabled * bands) + b] = exists ? head : -1;
                head = tabled;
            }
        }
    }
}
