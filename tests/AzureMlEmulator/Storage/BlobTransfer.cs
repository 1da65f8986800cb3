using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace GenAiServerless.AzureMlEmulator.Storage;

/// <summary>Copies between blob locations and local folders (what Azure ML's data runtime does for downloads, mounts
/// and uploads).</summary>
static class BlobTransfer
{
    /// <summary>True when the location is a blob, or a folder with at least one blob.</summary>
    public static async Task<bool> ExistsAsync(BlobLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (await IsBlobAsync(location, cancellationToken))
        {
            return true;
        }

        await foreach (BlobItem _ in location.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = location.FolderPrefix }, cancellationToken))
        {
            return true;
        }

        return false;
    }

    /// <summary>True when the path names one blob (a file).</summary>
    public static async Task<bool> IsBlobAsync(BlobLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (location.Path.Length == 0 || location.Path.EndsWith('/'))
        {
            return false;
        }

        try
        {
            return await location.Container.GetBlobClient(location.Path).ExistsAsync(cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
    }

    /// <summary>Downloads every blob under the folder into <paramref name="folder"/>, keeping relative paths;
    /// returns how many files were written (0 when the container or the folder does not exist).</summary>
    public static async Task<int> DownloadFolderAsync(BlobLocation location, string folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        Directory.CreateDirectory(folder);
        int count = 0;
        try
        {
            await foreach (BlobItem item in location.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = location.FolderPrefix }, cancellationToken))
            {
                string relative = item.Name[location.FolderPrefix.Length..];
                if (relative.Length == 0 || relative.EndsWith('/'))
                {
                    continue;
                }

                string target = Path.GetFullPath(Path.Combine(folder, relative));
                if (!target.StartsWith(Path.GetFullPath(folder), StringComparison.Ordinal))
                {
                    continue; // a blob name with '..' must not escape the folder
                }

                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await location.Container.GetBlobClient(item.Name).DownloadToAsync(target, cancellationToken);
                count++;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return 0;
        }

        return count;
    }

    /// <summary>Downloads one blob to a file; false when it does not exist.</summary>
    public static async Task<bool> DownloadFileAsync(BlobLocation location, string file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!await IsBlobAsync(location, cancellationToken))
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await location.Container.GetBlobClient(location.Path).DownloadToAsync(file, cancellationToken);
        return true;
    }

    /// <summary>Uploads every file under <paramref name="folder"/> to the folder location (overwriting); returns the count.</summary>
    public static async Task<int> UploadFolderAsync(string folder, BlobLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        await location.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        int count = 0;
        foreach (string file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
            BlobClient blob = location.Container.GetBlobClient(location.FolderPrefix + relative);
            await using (FileStream stream = new(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                await blob.UploadAsync(stream, overwrite: true, cancellationToken);
            }

            count++;
        }

        return count;
    }

    /// <summary>Uploads one file to the location's path.</summary>
    public static async Task UploadFileAsync(string file, BlobLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        await location.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await using FileStream stream = new(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        await location.Container.GetBlobClient(location.Path).UploadAsync(stream, overwrite: true, cancellationToken);
    }
}
