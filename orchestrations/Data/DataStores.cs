using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>Where the Data stage reads a drop and writes its outputs: blob storage in the pipeline, a local folder for
/// <c>genai curate</c>. Areas are <see cref="PipelineStorage.Curated"/> and <see cref="PipelineStorage.Quarantine"/>.</summary>
public interface IDataStore
{
    /// <summary>Opens a dropped file exactly as the trigger saw it; throws <see cref="InvalidOperationException"/>
    /// naming the file when it changed or went away since.</summary>
    Task<Stream> OpenInputAsync(DropBlob drop, CancellationToken cancellationToken);

    /// <summary>How a dropped file is named in messages and manifests.</summary>
    string InputName(DropBlob drop);

    Task WriteAsync(string area, string path, BinaryData content, CancellationToken cancellationToken);

    /// <summary>Reads an output written before, or null when there is none.</summary>
    Task<BinaryData?> ReadAsync(string area, string path, CancellationToken cancellationToken);

    /// <summary>Copies a dropped file, as it is, into an area (a bad file into the quarantine).</summary>
    Task CopyInputAsync(DropBlob drop, string area, string path, CancellationToken cancellationToken);

    /// <summary>Opens <paramref name="length"/> bytes of a dropped file from <paramref name="offset"/> (a byte-range
    /// shard); same checks as <see cref="OpenInputAsync"/>.</summary>
    Task<Stream> OpenInputRangeAsync(DropBlob drop, long offset, long length, CancellationToken cancellationToken);

    /// <summary>Opens an output for streaming writes; it replaces any earlier output of that name once disposed.</summary>
    Task<Stream> OpenWriteAsync(string area, string path, CancellationToken cancellationToken);

    /// <summary>Opens an output written before for streaming reads, or null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string area, string path, CancellationToken cancellationToken);

    /// <summary>Deletes every output whose name starts with <paramref name="prefix"/> (a run's working files).</summary>
    Task DeletePrefixAsync(string area, string prefix, CancellationToken cancellationToken);

    /// <summary>Every output whose name starts with <paramref name="prefix"/>, in name order, with its size and the time it
    /// was last written (the storage's clock for blobs, the file system's for files).</summary>
    IAsyncEnumerable<StoredOutput> ListAsync(string area, string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes one output; one that is already gone is not an error (a retried clean-up).</summary>
    Task DeleteAsync(string area, string path, CancellationToken cancellationToken);
}

/// <summary>An output as <see cref="IDataStore.ListAsync"/> finds it.</summary>
public sealed record StoredOutput(string Path, long Length, DateTimeOffset LastModified);

/// <summary>The pipeline's store: drops in <c>incoming/</c>, outputs in the <c>curated</c> and <c>quarantine</c> containers.</summary>
public sealed class BlobDataStore(PipelineStorage storage) : IDataStore
{
    public string InputName(DropBlob drop)
    {
        ArgumentNullException.ThrowIfNull(drop);
        return $"{PipelineStorage.Incoming}/{drop.BlobName}";
    }

    public async Task<Stream> OpenInputAsync(DropBlob drop, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(drop);
        BlobClient blob = storage.Container(PipelineStorage.Incoming).GetBlobClient(drop.BlobName);
        try
        {
            return await blob.OpenReadAsync(
                new BlobOpenReadOptions(allowModifications: false) { Conditions = new BlobRequestConditions { IfMatch = new ETag(drop.ETag) } },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            throw new InvalidOperationException(
                $"{InputName(drop)}: the file {(e.Status == 404 ? "was deleted" : "changed")} after the trigger saw ETag {drop.ETag}; the new version gets its own run.", e);
        }
    }

    public async Task WriteAsync(string area, string path, BinaryData content, CancellationToken cancellationToken) =>
        await storage.Container(area).GetBlobClient(path).UploadAsync(content, overwrite: true, cancellationToken);

    public async Task<BinaryData?> ReadAsync(string area, string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await storage.Container(area).GetBlobClient(path).DownloadContentAsync(cancellationToken)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task CopyInputAsync(DropBlob drop, string area, string path, CancellationToken cancellationToken)
    {
        await using Stream source = await OpenInputAsync(drop, cancellationToken);
        await storage.Container(area).GetBlobClient(path).UploadAsync(source, overwrite: true, cancellationToken);
    }

    public async Task<Stream> OpenInputRangeAsync(DropBlob drop, long offset, long length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(drop);
        BlobClient blob = storage.Container(PipelineStorage.Incoming).GetBlobClient(drop.BlobName);
        try
        {
            Stream stream = await blob.OpenReadAsync(
                new BlobOpenReadOptions(allowModifications: false) { Position = offset, BufferSize = 4 * 1024 * 1024, Conditions = new BlobRequestConditions { IfMatch = new ETag(drop.ETag) } },
                cancellationToken);
            return new RangeStream(stream, length);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            throw new InvalidOperationException(
                $"{InputName(drop)}: the file {(e.Status == 404 ? "was deleted" : "changed")} after the trigger saw ETag {drop.ETag}; the new version gets its own run.", e);
        }
    }

    public async Task<Stream> OpenWriteAsync(string area, string path, CancellationToken cancellationToken) =>
        await storage.Container(area).GetBlockBlobClient(path).OpenWriteAsync(overwrite: true, new BlockBlobOpenWriteOptions { BufferSize = 4 * 1024 * 1024 }, cancellationToken);

    public async Task<Stream?> OpenReadAsync(string area, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await storage.Container(area).GetBlobClient(path).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 4 * 1024 * 1024 }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task DeletePrefixAsync(string area, string prefix, CancellationToken cancellationToken)
    {
        BlobContainerClient container = storage.Container(area);
        await foreach (BlobItem item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
        {
            await container.DeleteBlobIfExistsAsync(item.Name, cancellationToken: cancellationToken);
        }
    }

    public async IAsyncEnumerable<StoredOutput> ListAsync(string area, string prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (BlobItem item in storage.Container(area).GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, cancellationToken))
        {
            // A listing always carries Last-Modified; were it missing, the blob would count as new: never old enough to delete.
            yield return new StoredOutput(item.Name, item.Properties.ContentLength ?? 0, item.Properties.LastModified ?? DateTimeOffset.MaxValue);
        }
    }

    public async Task DeleteAsync(string area, string path, CancellationToken cancellationToken) =>
        await storage.Container(area).DeleteBlobIfExistsAsync(path, cancellationToken: cancellationToken);
}

/// <summary>A local folder as the store (<c>genai curate</c>): drops are files relative to <paramref name="inputRoot"/>,
/// outputs go to <c>{outputRoot}/curated/…</c> and <c>{outputRoot}/quarantine/…</c>.</summary>
public sealed class FolderDataStore(string inputRoot, string outputRoot) : IDataStore
{
    /// <summary>File buffers stay under the large-object threshold (85 000 bytes), so opening many outputs does not grow
    /// the large-object heap, which only a full collection frees.</summary>
    const int LocalBufferBytes = 64 * 1024;

    public string InputName(DropBlob drop)
    {
        ArgumentNullException.ThrowIfNull(drop);
        return Path.Combine(inputRoot, drop.BlobName);
    }

    public Task<Stream> OpenInputAsync(DropBlob drop, CancellationToken cancellationToken)
    {
        string path = InputName(drop);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path}: the file was deleted after it was listed");
        }

        return Task.FromResult<Stream>(new LocalReadStream(File.OpenRead(path)));
    }

    public async Task WriteAsync(string area, string path, BinaryData content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        string target = Target(area, path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await File.WriteAllBytesAsync(target, content.ToArray(), cancellationToken);
    }

    public async Task<BinaryData?> ReadAsync(string area, string path, CancellationToken cancellationToken)
    {
        string target = Target(area, path);
        return File.Exists(target) ? new BinaryData(await File.ReadAllBytesAsync(target, cancellationToken)) : null;
    }

    public async Task CopyInputAsync(DropBlob drop, string area, string path, CancellationToken cancellationToken)
    {
        string target = Target(area, path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await using Stream source = await OpenInputAsync(drop, cancellationToken);
        await using FileStream destination = File.Create(target);
        await source.CopyToAsync(destination, cancellationToken);
    }

    public async Task<Stream> OpenInputRangeAsync(DropBlob drop, long offset, long length, CancellationToken cancellationToken)
    {
        Stream file = await OpenInputAsync(drop, cancellationToken);
        file.Seek(offset, SeekOrigin.Begin);
        return new RangeStream(file, length);
    }

    public Task<Stream> OpenWriteAsync(string area, string path, CancellationToken cancellationToken)
    {
        string target = Target(area, path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        return Task.FromResult<Stream>(new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, LocalBufferBytes));
    }

    public Task<Stream?> OpenReadAsync(string area, string path, CancellationToken cancellationToken)
    {
        string target = Target(area, path);
        return Task.FromResult<Stream?>(File.Exists(target) ? new LocalReadStream(new FileStream(target, FileMode.Open, FileAccess.Read, FileShare.Read, LocalBufferBytes)) : null);
    }

    public Task DeletePrefixAsync(string area, string prefix, CancellationToken cancellationToken)
    {
        // Prefixes here are folders ("…/_work/"): delete the folder.
        string folder = Target(area, prefix);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        return Task.CompletedTask;
    }

    public IAsyncEnumerable<StoredOutput> ListAsync(string area, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        string areaRoot = Target(area, string.Empty);
        string folder = Target(area, prefix[..(prefix.LastIndexOf('/') + 1)]);
        IEnumerable<StoredOutput> found = !Directory.Exists(folder) ? [] : Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(file => (File: new FileInfo(file), Path: Path.GetRelativePath(areaRoot, file).Replace(Path.DirectorySeparatorChar, '/')))
            .Where(f => f.Path.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .Select(f => new StoredOutput(f.Path, f.File.Length, f.File.LastWriteTimeUtc));
        return found.ToAsyncEnumerable();
    }

    public Task DeleteAsync(string area, string path, CancellationToken cancellationToken)
    {
        string target = Target(area, path);
        if (File.Exists(target))
        {
            File.Delete(target);
        }

        return Task.CompletedTask;
    }

    string Target(string area, string path) => Path.Combine(outputRoot, area, path.Replace('/', Path.DirectorySeparatorChar));
}

/// <summary>A local file whose asynchronous reads complete on the caller's thread.</summary>
/// <remarks>A <see cref="FileStream"/> opened without asynchronous I/O queues every <c>ReadAsync</c> to the thread pool and
/// resumes the caller there: a wake-up and two context switches per buffer, for a read the page cache serves in
/// microseconds. The Data stage reads its inputs and working files through <c>ReadAsync</c> (the same code reads blobs),
/// so locally the hops cost more than the reads.</remarks>
sealed class LocalReadStream(FileStream file) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => file.CanSeek;

    public override bool CanWrite => false;

    public override long Length => file.Length;

    public override long Position
    {
        get => file.Position;
        set => file.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => file.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => file.Read(buffer);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(file.Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(file.Read(buffer, offset, count));
    }

    public override long Seek(long offset, SeekOrigin origin) => file.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            file.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        file.Dispose();
        return base.DisposeAsync();
    }
}
