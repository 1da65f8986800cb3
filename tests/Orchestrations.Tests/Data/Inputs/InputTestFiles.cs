using System.IO.Compression;
using System.Text;
using GenAiServerless.Data.Inputs;

namespace GenAiServerless.Tests.Orchestrations.Data.Inputs;

/// <summary>Builds input files in memory and reads them back through <see cref="InputReader"/>.</summary>
internal static class InputTestFiles
{
    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>One gzip member written field by field (RFC 1952), with the optional header fields asked for.</summary>
    public static byte[] GzipMember(byte[] data, string? name = null, byte[]? extra = null, string? comment = null)
    {
        using var output = new MemoryStream();
        byte flags = (byte)((extra is null ? 0 : 0x04) | (name is null ? 0 : 0x08) | (comment is null ? 0 : 0x10));
        output.Write([0x1F, 0x8B, 8, flags, 0, 0, 0, 0, 0, 255]);
        if (extra is not null)
        {
            output.Write([(byte)extra.Length, (byte)(extra.Length >> 8), .. extra]);
        }

        foreach (string? text in new[] { name, comment })
        {
            if (text is not null)
            {
                output.Write([.. Encoding.Latin1.GetBytes(text), 0]);
            }
        }

        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(data);
        }

        output.Write(BitConverter.GetBytes(System.IO.Hashing.Crc32.HashToUInt32(data)));
        output.Write(BitConverter.GetBytes((uint)data.Length));
        return output.ToArray();
    }

    public static async Task<List<SourceItem>> ReadAllAsync(string file, byte[] bytes, InputOptions? options = null, bool forwardOnly = false)
    {
        using Stream stream = forwardOnly ? new ForwardOnlyStream(bytes) : new MemoryStream(bytes, writable: false);
        var items = new List<SourceItem>();
        await foreach (SourceItem item in InputReader.ReadAsync(file, stream, options))
        {
            items.Add(item);
        }

        return items;
    }

    public static async Task<UnreadableFileException> ReadFailsAsync(string file, byte[] bytes, InputOptions? options = null) =>
        await Assert.ThrowsAsync<UnreadableFileException>(() => ReadAllAsync(file, bytes, options));

    /// <summary>A stream that reads forward only, like a network stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream inner = new(bytes, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
