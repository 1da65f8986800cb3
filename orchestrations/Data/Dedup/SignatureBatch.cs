using System.Runtime.InteropServices;

namespace GenAiServerless.Data.Dedup;

/// <summary>The MinHash signatures of one shard's records (the fan-out's output), held flat: 512 bytes a record plus its id.</summary>
/// <remarks>Not thread-safe: one shard, one writer. Shards meet again in <see cref="LshIndex.Deduplicate"/>.</remarks>
public sealed class SignatureBatch
{
    readonly List<string> ids;
    readonly List<long> orders;
    uint[] signatures;

    public SignatureBatch(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ids = new List<string>(capacity);
        orders = new List<long>(capacity);
        signatures = new uint[Math.Max(capacity, 1) * MinHasher.SignatureLength];
    }

    public int Count => ids.Count;

    /// <summary>Hashes <paramref name="text"/> with <paramref name="hasher"/> and adds its signature.</summary>
    /// <param name="order">The record's place in the drop (say, file index × 2^40 + line): among near duplicates the
    /// smallest (order, id) is kept, so the outcome does not depend on how the drop was sharded or threaded.</param>
    /// <returns>The number of shingles: 0 for a text without words, which is kept and never indexed.</returns>
    public int Add(string id, long order, ReadOnlySpan<char> text, MinHasher hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        var slot = Reserve(id, order);
        return hasher.Compute(text, slot);
    }

    /// <summary>Adds a signature computed elsewhere (128 values from the index's hasher).</summary>
    public void Add(string id, long order, ReadOnlySpan<uint> signature)
    {
        if (signature.Length != MinHasher.SignatureLength)
        {
            throw new ArgumentException($"record '{id}': a signature holds {MinHasher.SignatureLength} values, not {signature.Length}", nameof(signature));
        }

        signature.CopyTo(Reserve(id, order));
    }

    public string IdAt(int index) => ids[index];

    public long OrderAt(int index) => orders[index];

    public ReadOnlySpan<uint> SignatureAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return signatures.AsSpan(index * MinHasher.SignatureLength, MinHasher.SignatureLength);
    }

    Span<uint> Reserve(string id, long order)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var offset = ids.Count * MinHasher.SignatureLength;
        if (offset + MinHasher.SignatureLength > signatures.Length)
        {
            Array.Resize(ref signatures, Math.Max(signatures.Length * 2, offset + MinHasher.SignatureLength));
        }

        ids.Add(id);
        orders.Add(order);
        return MemoryMarshal.CreateSpan(ref signatures[offset], MinHasher.SignatureLength);
    }
}
