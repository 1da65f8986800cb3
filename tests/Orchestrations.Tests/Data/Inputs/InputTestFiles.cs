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
