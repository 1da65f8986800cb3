using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using GenAiServerless.Data;

namespace GenAiServerless.Data.Inputs;

/// <summary>Gunzips a stream of one or more gzip members (RFC 1952: <c>cat a.gz b.gz</c>, <c>gzip -c x &gt;&gt; all.gz</c>,
/// bgzip) and checks each member's data against its own trailer (CRC-32 and length).</summary>
/// <remarks>.NET's <see cref="GZipStream"/> ends quietly on a truncated file, handing back a prefix of the data as if
/// it were whole, and skips whatever follows a member that does not start like one; this stream throws
/// <see cref="InvalidDataException"/> instead, naming the member and its byte offset. It reads the members itself: it
/// parses each header, inflates the deflate data with a <see cref="DeflateStream"/>, and finds the trailer just after
/// it. Zero bytes after the last member (padding, which gzip(1) also accepts) are skipped.</remarks>
internal sealed class VerifiedGzipStream : ForwardReadStream
{
    const int BufferBytes = 64 * 1024;

    /// <summary>The most handed to the inflater at once: the end of the deflate data lies in the last two pieces handed
    /// over, which stay in the buffer, with the eight trailer bytes after them, until the trailer is found.</summary>
    const int FeedBytes = 16 * 1024;

    readonly Stream inner;
    readonly MemberInput input;
    readonly byte[] buffer = new byte[BufferBytes];
    readonly Crc32 crc = new();

    /// <summary>Unread compressed bytes are <c>buffer[start..end)</c>; <c>buffer[0]</c> is byte <c>bufferOffset</c> of the file.</summary>
    int start, end;
    long bufferOffset;
    bool innerEnded;

    /// <summary>The last two pieces handed to the inflater, <c>buffer[keepFrom..fedTo)</c> (the last from <c>pieceFrom</c>),
    /// kept while a member is open; -1 between members.</summary>
    int keepFrom = -1, pieceFrom, fedTo;
    DeflateStream? member;
    long memberOffset;
    int members;
    long length;
    bool ended;

    public VerifiedGzipStream(Stream inner)
    {
        this.inner = inner;
        input = new MemberInput(this);
    }

    public override int Read(Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, BufferBytes));
        try
        {
            int n = Completed(ReadCoreAsync(rented.AsMemory(0, Math.Min(buffer.Length, rented.Length)), useAsync: false, CancellationToken.None));
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, useAsync: true, cancellationToken);

    async ValueTask<int> ReadCoreAsync(Memory<byte> destination, bool useAsync, CancellationToken cancellationToken)
    {
        while (!ended && destination.Length > 0)
        {
            if (member is null && !await StartMemberAsync(useAsync, cancellationToken))
            {
                ended = true;
                break;
            }

            int n;
            try
            {
                n = useAsync ? await member!.ReadAsync(destination, cancellationToken) : member!.Read(destination.Span);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"corrupt: gzip member {members + 1} (from byte {memberOffset}) cannot be inflated: {e.Message}", e);
            }

            if (n > 0)
            {
                crc.Append(destination.Span[..n]);
                length += n;
                return n;
            }

            await EndMemberAsync(useAsync, cancellationToken);
        }

        return 0;
    }

    /// <summary>Reads the next member's header and opens its deflate data; false at the end of the file, after zero padding.</summary>
    async ValueTask<bool> StartMemberAsync(bool useAsync, CancellationToken cancellationToken)
    {
        if (!await EnsureAsync(1, useAsync, cancellationToken))
        {
            return members > 0 ? false : throw new InvalidDataException("empty: the file holds no gzip data");
        }

        memberOffset = Offset;
        if (members > 0 && buffer[start] == 0)
        {
            await SkipZeroPaddingAsync(useAsync, cancellationToken);
            return false;
        }

        bool whole = await EnsureAsync(10, useAsync, cancellationToken);
        if (!whole && buffer.AsSpan(start, end - start) is [0x1F] or [0x1F, 0x8B, ..])
        {
            throw new InvalidDataException($"truncated: the file ends inside the header of gzip member {members + 1} (from byte {memberOffset})");
        }

        if (!whole || buffer[start] != 0x1F || buffer[start + 1] != 0x8B)
        {
            throw new InvalidDataException(members == 0
                ? "not gzip: the file does not start with a gzip header (1F 8B)"
                : $"garbage after gzip member {members}: the bytes from byte {memberOffset} are neither a gzip member nor zero padding");
        }

        byte method = buffer[start + 2], flags = buffer[start + 3];
        if (method != 8 || (flags & 0xE0) != 0)
        {
            throw new InvalidDataException($"gzip member {members + 1} (at byte {memberOffset}) has an unknown compression method ({method}) or reserved flags (0x{flags:X2})");
        }

        start += 10; // ID1 ID2 CM FLG MTIME(4) XFL OS
        if ((flags & 0x04) != 0)
        {
            // FEXTRA (bgzip keeps its block sizes there): a two-byte length, then that many bytes.
            await NeedAsync(2, useAsync, cancellationToken);
            int extra = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(start));
            start += 2;
            await SkipAsync(extra, useAsync, cancellationToken);
        }

        for (int field = 0x08; field <= 0x10; field <<= 1)
        {
            // FNAME, FCOMMENT: zero-terminated.
            if ((flags & field) != 0)
            {
                await SkipPastZeroAsync(useAsync, cancellationToken);
            }
        }

        if ((flags & 0x02) != 0)
        {
            // FHCRC guards only the header fields skipped above.
            await SkipAsync(2, useAsync, cancellationToken);
        }

        crc.Reset();
        length = 0;
        input.Ended = false;
        keepFrom = pieceFrom = fedTo = start;
        member = new DeflateStream(input, CompressionMode.Decompress, leaveOpen: true);
        return true;
    }

    /// <summary>After the member's deflate data has ended: finds its trailer right after it and checks the data against it.</summary>
    async ValueTask EndMemberAsync(bool useAsync, CancellationToken cancellationToken)
    {
        member!.Dispose();
        member = null;
        string which = $"gzip member {members + 1} (from byte {memberOffset})";
        if (input.Ended)
        {
            throw new InvalidDataException($"truncated: the file ends inside the compressed data of {which}, after {length} bytes decompressed");
        }

        // The inflater does not say where the deflate data ended, only that it did. It asks for more input only when it
        // needs it, so the end lies in the last piece handed over (or, had it not yet decoded the end from bits already
        // read, the one before): the trailer is the first place from there that holds this member's CRC-32 and length.
        // Deflate data holding those eight bytes by chance before its end is a 2^-64 event per byte.
        await EnsureAsync(fedTo - start + 8, useAsync, cancellationToken);
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (uint)length);
        int at = buffer.AsSpan(keepFrom, Math.Min(end, fedTo + 8) - keepFrom).IndexOf(trailer);
        if (at < 0)
        {
            throw new InvalidDataException(
                $"truncated or corrupt: the {length} bytes decompressed from {which} are not followed by a trailer that matches them (CRC-32 and length)");
        }

        start = keepFrom + at + 8;
        keepFrom = -1;
        members++;
    }

    async ValueTask SkipZeroPaddingAsync(bool useAsync, CancellationToken cancellationToken)
    {
        while (await EnsureAsync(1, useAsync, cancellationToken))
        {
            int nonZero = buffer.AsSpan(start, end - start).IndexOfAnyExcept((byte)0);
            if (nonZero >= 0)
            {
                throw new InvalidDataException($"garbage after gzip member {members}: byte {Offset + nonZero} is neither part of a gzip member nor zero padding");
            }

            start = end;
        }
    }

    async ValueTask SkipAsync(int count, bool useAsync, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            await NeedAsync(1, useAsync, cancellationToken);
            int n = Math.Min(count, end - start);
            start += n;
            count -= n;
        }
    }

    async ValueTask SkipPastZeroAsync(bool useAsync, CancellationToken cancellationToken)
    {
        while (true)
        {
            await NeedAsync(1, useAsync, cancellationToken);
            int zero = buffer.AsSpan(start, end - start).IndexOf((byte)0);
            if (zero >= 0)
            {
                start += zero + 1;
                return;
            }

            start = end;
        }
    }

    /// <summary>Like <see cref="EnsureAsync"/>, for bytes a member's header must still have.</summary>
    async ValueTask NeedAsync(int count, bool useAsync, CancellationToken cancellationToken)
    {
        if (!await EnsureAsync(count, useAsync, cancellationToken))
        {
            throw new InvalidDataException($"truncated: the file ends inside the header of gzip member {members + 1} (from byte {memberOffset})");
        }
    }

    /// <summary>Reads until <paramref name="count"/> unread bytes are in the buffer; false if the file ends first.</summary>
    async ValueTask<bool> EnsureAsync(int count, bool useAsync, CancellationToken cancellationToken)
    {
        while (end - start < count && !innerEnded)
        {
            // Move the bytes still needed (the open member's last piece too) to the front.
            int keep = keepFrom >= 0 ? Math.Min(keepFrom, start) : start;
            if (keep > 0)
            {
                buffer.AsSpan(keep, end - keep).CopyTo(buffer);
                bufferOffset += keep;
                start -= keep;
                end -= keep;
                fedTo -= keep;
                pieceFrom -= keep;
                keepFrom -= keepFrom >= 0 ? keep : 0;
            }

            Memory<byte> free = buffer.AsMemory(end);
            int n = useAsync ? await inner.ReadAsync(free, cancellationToken) : inner.Read(free.Span);
            innerEnded = n == 0;
            end += n;
        }

        return end - start >= count;
    }

    long Offset => bufferOffset + start;

    /// <summary>The result of a step run without useAsync: it never awaits anything, so it has completed when it returns.</summary>
    static T Completed<T>(ValueTask<T> step) =>
        step.IsCompleted ? step.Result : throw new InvalidOperationException("a synchronous read did not complete synchronously");

    /// <summary>Hands the open member's compressed bytes to its <see cref="DeflateStream"/>.</summary>
    int Feed(Span<byte> destination)
    {
        int n = Math.Min(Math.Min(destination.Length, end - start), FeedBytes);
        buffer.AsSpan(start, n).CopyTo(destination);
        keepFrom = pieceFrom;
        pieceFrom = start;
        start += n;
        fedTo = start;
        input.Ended = n == 0;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            member?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The input of one member's <see cref="DeflateStream"/>: the outer stream's buffer, refilled as needed.</summary>
    sealed class MemberInput(VerifiedGzipStream outer) : ForwardReadStream
    {
        /// <summary>True once the inflater asked for more and the file had no more: the deflate data is cut short.</summary>
        public bool Ended { get; set; }

        public override int Read(Span<byte> buffer)
        {
            Completed(outer.EnsureAsync(1, useAsync: false, CancellationToken.None));
            return outer.Feed(buffer);
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await outer.EnsureAsync(1, useAsync: true, cancellationToken);
            return outer.Feed(buffer.Span);
        }
    }
}
