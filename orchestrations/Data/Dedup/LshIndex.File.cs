using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace GenAiServerless.Data.Dedup;

/// <summary>The saved form of an <see cref="LshIndex"/>: header, ids, signatures and a checksum.</summary>
public sealed partial class LshIndex
{
    /// <summary>Writes the index (options, hasher seed, ids and signatures) to <paramref name="stream"/>; with
    /// <paramref name="keptOf"/>, as if the kept records of that drop's last clustering had been committed — what the
    /// fan-in saves, without copying the drop's signatures into the index first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per drop, a loop over every record
    public void Save(Stream stream, PreparedDrop? keptOf = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (keptOf is not null && (keptOf.Index != this || keptOf.IndexCount != Count || keptOf.KeptRecords is null))
        {
            throw new InvalidOperationException("the drop was not clustered against this index as it is now");
        }

        var total = (long)Count + (keptOf?.KeptCount ?? 0);
        CheckLimit(total); // before a byte is written: no partial index is left behind
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(HasherSeed);
        writer.Write(Options.Bands);
        writer.Write(Options.Rows);
        writer.Write(Options.VerifyThreshold);
        writer.Write((int)total);
        var idHash = new XxHash64();
        var signatureHash = new XxHash64();
        void Write(string id, ReadOnlySpan<uint> signature)
        {
            writer.Write(id);
            writer.Write(MemoryMarshal.AsBytes(signature));
            idHash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
            signatureHash.Append(MemoryMarshal.AsBytes(signature));
        }

        for (var e = 0; e < Count; e++)
        {
            Write(ids[e], EntrySignature(e));
        }

        keptOf?.ReadKept(Write);
        writer.Write(Checksum(idHash, signatureHash));
    }

    /// <summary>Reads an index written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static LshIndex Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = reader.ReadString();
            if (magic != Magic)
            {
                throw new InvalidDataException($"not an LSH index: the header is '{magic}', expected '{Magic}'");
            }

            var version = reader.ReadInt32();
            if (version is not (1 or FormatVersion))
            {
                throw new InvalidDataException($"LSH index format version {version} is not supported (this build reads 1 and {FormatVersion})");
            }

            var seed = reader.ReadUInt64();
            var options = new LshOptions(reader.ReadInt32(), reader.ReadInt32(), reader.ReadDouble());
            var index = new LshIndex(options, seed);
            var count = reader.ReadInt32();
            if (count < 0 || count > MaxEntries)
            {
                throw new InvalidDataException($"LSH index: record count {count} is out of range (0 to {MaxEntries:N0}: at most {MaxEntries:N0} records fit one index)");
            }

            var signature = new uint[Length];
            index.Reserve(count);
            for (var e = 0; e < count; e++)
            {
                var id = reader.ReadString();
                // A network stream may return fewer bytes than asked for: read until the signature is whole.
                reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(signature.AsSpan()));

                index.Append(id, signature);
            }

            var checksum = reader.ReadUInt64();
            if (checksum != (version == 1 ? index.ChecksumVersion1() : index.Checksum()))
            {
                throw new InvalidDataException($"LSH index: checksum mismatch over {count} records (the blob is corrupt)");
            }

            return index;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("LSH index: the stream ends before the index does (truncated blob)", e);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"LSH index: bad header ({e.Message})", e);
        }
    }

    ulong Checksum()
    {
        var idHash = new XxHash64();
        foreach (var id in ids)
        {
            idHash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
        }

        var signatureHash = new XxHash64();
        signatureHash.Append(MemoryMarshal.AsBytes(signatures.AsSpan(0, Count * Length)));
        return Checksum(idHash, signatureHash);
    }

    /// <summary>The checksum of format 1 (indexes saved before format 2): one hash over the ids, then the signatures.</summary>
    ulong ChecksumVersion1()
    {
        var hash = new XxHash64();
        foreach (var id in ids)
        {
            hash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
        }

        hash.Append(MemoryMarshal.AsBytes(signatures.AsSpan(0, Count * Length)));
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The saved checksum: of the ids' hash and the signatures' hash (each computed in entry order).</summary>
    static ulong Checksum(XxHash64 ids, XxHash64 signatures)
    {
        Span<ulong> both = [ids.GetCurrentHashAsUInt64(), signatures.GetCurrentHashAsUInt64()];
        return XxHash64.HashToUInt64(MemoryMarshal.AsBytes(both));
    }
}
