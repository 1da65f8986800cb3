namespace GenAiServerless.Data;

/// <summary>The common part of the Data stage's wrapping streams (byte range, header + range, verified gunzip): read
/// forward only, no seeking, no writing. A subclass reads through <see cref="Read(Span{byte})"/> and
/// <see cref="ReadAsync(Memory{byte}, CancellationToken)"/>; a stream given as <c>owned</c> is disposed with it.</summary>
internal abstract class ForwardReadStream(Stream? owned = null) : Stream
{
    /// <summary>The stream this one reads through and disposes.</summary>
    protected Stream Inner => owned ?? throw new InvalidOperationException("this stream wraps no other stream");

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public abstract override int Read(Span<byte> buffer);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            owned?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (owned is not null)
        {
            await owned.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}
