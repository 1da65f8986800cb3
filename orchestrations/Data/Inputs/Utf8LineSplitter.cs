using System.Buffers;

namespace GenAiServerless.Data.Inputs;

/// <summary>Splits a byte stream into lines in a bounded buffer: a line longer than the limit is skipped over and
/// reported with its first bytes, never held whole.</summary>
internal sealed class Utf8LineSplitter(Stream stream, int maxLineBytes) : IDisposable
{
    /// <summary>How much of an over-long line is kept for the quarantine.</summary>
    public const int PreviewBytes = 4096;

    byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(64 * 1024, maxLineBytes + 1));
    int start;
    int end;
    int scanned;
    bool eof;

    /// <summary>The 1-based number of the current line.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current line without its line break; only its first <see cref="PreviewBytes"/> when <see cref="TooLong"/>.
    /// Valid until the next read.</summary>
    public ReadOnlyMemory<byte> Line { get; private set; }

    /// <summary>Whether the current line was longer than the limit.</summary>
    public bool TooLong { get; private set; }

    /// <summary>The length of the current line in bytes.</summary>
    public long LineLength { get; private set; }

    public async ValueTask<bool> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = buffer.AsSpan(start + scanned, end - start - scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                Emit(scanned + newline, consumed: scanned + newline + 1);
                return true;
            }

            scanned = end - start;
            if (eof)
            {
                if (end == start)
                {
                    Line = default;
                    return false;
                }

                Emit(end - start, consumed: end - start);
                return true;
            }

            if (end - start > maxLineBytes)
            {
                await SkipLongLineAsync(cancellationToken);
                return true;
            }

            if (end == buffer.Length)
            {
                MakeRoom();
            }

            int read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
            end += read;
            eof = read == 0;
        }
    }

    void Emit(int length, int consumed)
    {
        LineNumber++;
        TooLong = false;
        LineLength = length;
        int trimmed = length > 0 && buffer[start + length - 1] == (byte)'\r' ? length - 1 : length;
        Line = buffer.AsMemory(start, trimmed);
        start += consumed;
        scanned = 0;
    }

    void MakeRoom()
    {
        if (start > 0)
        {
            buffer.AsSpan(start, end - start).CopyTo(buffer);
            end -= start;
            start = 0;
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxLineBytes + 1));
        buffer.AsSpan(0, end).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }

    async ValueTask SkipLongLineAsync(CancellationToken cancellationToken)
    {
        LineNumber++;
        TooLong = true;
        Line = buffer.AsMemory(start, Math.Min(PreviewBytes, end - start)).ToArray();
        long length = end - start;
        start = end = scanned = 0;
        while (true)
        {
            int read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                eof = true;
                break;
            }

            int newline = buffer.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                length += newline;
                start = newline + 1;
                end = read;
                break;
            }

            length += read;
        }

        LineLength = length;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }
}
