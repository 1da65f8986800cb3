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
    /// <param name="firstEntry">The first entry written: with the index's <see cref="Count"/>, only the drop's kept
    /// records (a segment that follows the segments the index was loaded from); 0 for the whole index.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per drop, a loop over every record
    public void Save(Stream stream, PreparedDrop? keptOf = null, int firstEntry = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(firstEntry);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstEntry, Count);
        if (keptOf is not null && (keptOf.Index != this || keptOf.IndexCount != Count || keptOf.KeptRecords is null))
        {
            throw new InvalidOperationException("the drop was not clustered against this index as it is now");
        }

        CheckLimit((long)Count + (keptOf?.KeptCount ?? 0)); // before a byte is written: no partial index is left behind
        var total = Count - firstEntry + (keptOf?.KeptCount ?? 0);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(FormatVersion);
        writer.Write(HasherSeed);
        writer.Write(Options.Bands);
        writer.Write(Options.Rows);
        writer.Write(Options.VerifyThreshold);
        writer.Write(total);
        var idHash = new XxHash64();
        var signatureHash = new XxHash64();
        void Write(string id, ReadOnlySpan<uint> signature)
        {
            writer.Write(id);
            writer.Write(MemoryMarshal.AsBytes(signature));
            idHash.Append(MemoryMarshal.AsBytes(id.AsSpan()));
            signatureHash.Append(MemoryMarshal.AsBytes(signature));
        }

        for (var e = firstEntry; e < Count; e++)
        {
            Write(ids[e], EntrySignature(e));
        }

        keptOf?.ReadKept(Write);
        writer.Write(Checksum(idHash, signatureHash));
    }

    /// <summary>Reads an index written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static LshIndex Load(Stream stream) => Load(stream, 0);

    /// <summary>Reads the first segment of an index (see <see cref="AppendSegment"/>), with room for
    /// <paramref name="capacity"/> entries in all, so that the segments still to come do not grow the signatures again.</summary>
    public static LshIndex Load(Stream stream, long capacity)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        return Reading(() =>
        {
            var header = ReadHeader(reader);
            var index = new LshIndex(header.Options, header.Seed);
            index.Reserve(Math.Max(header.Count, capacity));
            index.ReadEntries(reader, header);
            return index;
        });
    }

    /// <summary>Appends the entries of a saved index — a segment, saved with <see cref="Save"/> from the entry that follows
    /// this index's last — after this index's own: entry numbers are those of one index that held them all. Throws
    /// <see cref="InvalidDataException"/> when the segment is damaged or was made with other options or another hasher seed.</summary>
    public void AppendSegment(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        Reading(() =>
        {
            var header = ReadHeader(reader);
            // Only what the header stores: the exact-verification settings are the fan-in's, not the index's.
            var (bands, rows, verify) = (header.Options.Bands, header.Options.Rows, header.Options.VerifyThreshold);
            if ((bands, rows, verify, header.Seed) != (Options.Bands, Options.Rows, Options.VerifyThreshold, HasherSeed))
            {
                throw new InvalidDataException(
                    $"LSH index segment: made with {bands} × {rows} bands, verification at {verify} and hasher seed {header.Seed}, " +
                    $"but the index it follows has {Options.Bands} × {Options.Rows}, {Options.VerifyThreshold} and seed {HasherSeed}");
            }

            Reserve((long)Count + header.Count);
            ReadEntries(reader, header);
            return this;
        });
    }

    /// <summary>Runs a read, turning a stream that ends early or a bad header into <see cref="InvalidDataException"/>.</summary>
    static LshIndex Reading(Func<LshIndex> read)
    {
        try
        {
            return read();
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

    readonly record struct Header(int Version, ulong Seed, LshOptions Options, int Count);

    static Header ReadHeader(BinaryReader reader)
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
        var count = reader.ReadInt32();
        if (count < 0 || count > MaxEntries)
        {
            throw new InvalidDataException($"LSH index: record count {count} is out of range (0 to {MaxEntries:N0}: at most {MaxEntries:N0} records fit one index)");
        }

        return new Header(version, seed, options, count);
    }

    /// <summary>Appends the <paramref name="header"/>'s entries and checks them against the checksum that follows them.</summary>
    void ReadEntries(BinaryReader reader, Header header)
    {
        var first = Count;
        var signature = new uint[Length];
        for (var e = 0; e < header.Count; e++)
        {
            var id = reader.ReadString();
            // A network stream may return fewer bytes than asked for: read until the signature is whole.
            reader.BaseStream.ReadExactly(MemoryMarshal.AsBytes(signature.AsSpan()));
            Append(id, signature);
        }

        var checksum = reader.ReadUInt64();
        if (checksum != (header.Version == 1 ? ChecksumVersion1(first) : Checksum(first)))
        {
            throw new InvalidDataException($"LSH index: checksum mismatch over {header.Count} records (the blob is corrupt)");
        }
    }

    /// <summary>The checksum of the entries from <paramref name="first"/> on, as <see cref="Save"/> computes it.</summary>
    ulong Checksum(int first)
    {
        var idHash = new XxHash64();
        for (var e = first; e < Count; e++)
        {
            idHash.Append(MemoryMarshal.AsBytes(ids[e].AsSpan()));
        }

        var signatureHash = new XxHash64();
        signatureHash.Append(MemoryMarshal.AsBytes(signatures.AsSpan(first * Length, (Count - first) * Length)));
        return Checksum(idHash, signatureHash);
    }

    /// <summary>The checksum of format 1 (indexes saved before format 2): one hash over the ids, then the signatures.</summary>
    ulong ChecksumVersion1(int first)
    {
        var hash = new XxHash64();
        for (var e = first; e < Count; e++)
        {
            hash.Append(MemoryMarshal.AsBytes(ids[e].AsSpan()));
        }

        hash.Append(MemoryMarshal.AsBytes(signatures.AsSpan(first * Length, (Count - first) * Length)));
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The saved checksum: of the ids' hash and the signatures' hash (each computed in entry order).</summary>
    static ulong Checksum(XxHash64 ids, XxHash64 signatures)
    {
        Span<ulong> both = [ids.GetCurrentHashAsUInt64(), signatures.GetCurrentHashAsUInt64()];
        return XxHash64.HashToUInt64(MemoryMarshal.AsBytes(both));
    }
}
