using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using GenAiServerless.Data;

namespace GenAiServerless.Data.Inputs;

/// <summary>Gunzips a stream and, at its end, checks the data against the gzip trailer (CRC-32 and length).</summary>
/// <remarks>.NET's <see cref="GZipStream"/> ends quietly on a truncated file, handing back a prefix of the data as if
/// it were whole; this stream throws <see cref="InvalidDataException"/> instead. The trailer checked is that of the
/// last gzip member, so a file of several concatenated members is reported as corrupt: recompress it as one.</remarks>
internal sealed class VerifiedGzipStream : ForwardReadStream
{
    readonly TailStream compressed;
    readonly GZipStream gzip;
    readonly Crc32 crc = new();
    long length;
    bool verified;

    public VerifiedGzipStream(Stream inner)
    {
        compressed = new TailStream(inner);
        gzip = new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true);
    }

    public override int Read(Span<byte> buffer)
    {
        int n = gzip.Read(buffer);
        return Account(buffer[..n]);
    }


    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = await gzip.ReadAsync(buffer, cancellationToken);
        return Account(buffer.Span[..n]);
    }

    int Account(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0)
        {
            crc.Append(data);
            length += data.Length;
            return data.Length;
        }

        if (!verified)
        {
            verified = true;
            Verify();
        }

        return 0;
    }

    void Verify()
    {
        if (compressed.TailLength < 8)
        {
            throw new InvalidDataException($"truncated: the file ends after {compressed.TailLength} bytes, before its gzip trailer");
        }

        ReadOnlySpan<byte> tail = compressed.Tail;
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(tail);
        uint expectedLength = BinaryPrimitives.ReadUInt32LittleEndian(tail[4..]);
        if (crc.GetCurrentHashAsUInt32() != expectedCrc || (uint)length != expectedLength)
        {
            throw new InvalidDataException(
                $"truncated or corrupt: {length} bytes decompressed do not match the gzip trailer (CRC-32 and length)");
        }
    }


    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            gzip.Dispose();
            compressed.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Passes reads through and remembers the last eight bytes read: the gzip trailer, once the input ends.</summary>
    sealed class TailStream(Stream inner) : ForwardReadStream
    {
        readonly byte[] tail = new byte[8];
        long total;

        public int TailLength => (int)Math.Min(total, 8);

        public ReadOnlySpan<byte> Tail => tail;

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            Remember(buffer[..n]);
            return n;
        }


        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            Remember(buffer.Span[..n]);
            return n;
        }

        void Remember(ReadOnlySpan<byte> data)
        {
            if (data.Length >= 8)
            {
                data[^8..].CopyTo(tail);
            }
            else if (data.Length > 0)
            {
                // Shift the kept bytes left and append the new ones.
                tail.AsSpan(data.Length).CopyTo(tail);
                data.CopyTo(tail.AsSpan(8 - data.Length));
            }

            total += data.Length;
        }

    }
}
