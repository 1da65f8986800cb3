namespace GenAiServerless.Data;

/// <summary>A read-only window of <c>length</c> bytes over a stream, from where that stream is now; disposing it
/// disposes the inner stream. A byte-range shard reads its input through one.</summary>
sealed class RangeStream(Stream inner, long length) : ForwardReadStream(inner)
{
    readonly long total = length;
    long remaining = length;

    public override long Length => total;

    public override int Read(Span<byte> buffer)
    {
        if (remaining <= 0)
        {
            return 0;
        }

        int read = Inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
        remaining -= read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (remaining <= 0)
        {
            return 0;
        }

        int read = await Inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, remaining)], cancellationToken);
        remaining -= read;
        return read;
    }
}
