
namespace GenAiServerless.Data.Dedup;

/// <summary>Receives a kept record's id and signature (see <see cref="PreparedDrop.ReadKept"/>).</summary>
internal delegate void KeptRecordSink(string id, ReadOnlySpan<uint> signature);

/// <summary>A drop made ready for clustering against an index: its records in (order, id) order, band keys sorted per
/// band, and each record's verified matches in the index.</summary>
/// <remarks>Two kinds: a batch drop (<see cref="LshIndex.Prepare"/>) holds everything in memory; a spilled drop
/// (<see cref="LshIndex.BeginSpilledDrop"/>) keeps its band keys and signatures in scratch files.</remarks>
public abstract class PreparedDrop
{
    private protected PreparedDrop(LshIndex index, int indexCount)
    {
        (Index, IndexCount) = (index, indexCount);
    }

    /// <summary>Records in the drop.</summary>
    public abstract int Count { get; }

    /// <summary>Records the last clustering would add to the index.</summary>
    public int KeptCount => KeptRecords?.Count ?? 0;

    internal LshIndex Index { get; }

    internal int IndexCount { get; }

    /// <summary>The low bits of a packed band key that hold the record.</summary>
    internal abstract int RecordBits { get; }

    internal abstract long IndexComparisons { get; }

    /// <summary>The records the last clustering kept that go into the index (indexable cluster roots), in record order.</summary>
    internal List<int>? KeptRecords { get; set; }

    /// <summary>One band's keys of the indexable records, packed with the record number and sorted; valid until the next call.</summary>
    internal abstract ReadOnlySpan<ulong> SortedBandKeys(int band);

    internal abstract void CopySignature(int record, Span<uint> signature);

    internal abstract bool IsIndexable(int record);

    /// <summary>The record's verified matches in the index (entry numbers), if any.</summary>
    internal abstract IReadOnlyList<int>? MatchesOf(int record);

    /// <summary>Each of <see cref="KeptRecords"/>' id and signature, in record order.</summary>
    internal abstract void ReadKept(KeptRecordSink sink);
}

/// <summary>A drop held in memory: its signature batches and sorted band keys.</summary>
sealed class BatchDrop(LshIndex index, LshIndex.Drop drop, ulong[][] bandKeys, int recordBits, List<int>?[] matches, long indexComparisons)
    : PreparedDrop(index, index.Count)
{
    public LshIndex.Drop Drop { get; } = drop;

    public override int Count => Drop.Ids.Length;

    internal override int RecordBits => recordBits;

    internal override long IndexComparisons => indexComparisons;

    internal override ReadOnlySpan<ulong> SortedBandKeys(int band) => bandKeys[band];

    internal override void CopySignature(int record, Span<uint> signature) => Drop.Signature(record).CopyTo(signature);

    internal override bool IsIndexable(int record) => Drop.Indexable[record];

    internal override IReadOnlyList<int>? MatchesOf(int record) => matches[record];

    internal override void ReadKept(KeptRecordSink sink)
    {
        foreach (var i in KeptRecords ?? [])
        {
            sink(Drop.Ids[i], Drop.Signature(i));
        }
    }
}

/// <summary>A clustering of a drop, by record number.</summary>
/// <param name="Root">Each record's cluster keeper: itself when kept, another record of the drop (≥ 0), or an index
/// entry e as −e − 1.</param>
/// <param name="Partner">Each record's first verified partner, encoded as <paramref name="Root"/>; <see cref="None"/> when it has none.</param>
public sealed record DropClustering(int[] Root, int[] Partner, long CandidatePairs, long VerifiedPairs)
{
    public const int None = int.MinValue;
}
