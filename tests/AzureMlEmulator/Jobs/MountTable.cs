using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>ReadWriteMount outputs: one local folder per output location, shared by every job and attempt that mounts
/// it, filled from the blobs already there on first use. A mount writes through, so a second job mounting the same
/// checkpoints URI sees what the first wrote; the folder is uploaded whenever a process using it exits.</summary>
sealed class MountTable(EmulatorContext emulator)
{
    readonly ConcurrentDictionary<string, Lazy<Task<string>>> mounts = new(StringComparer.Ordinal);

    public async Task<string> MountAsync(BlobLocation location, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(location);
        Lazy<Task<string>> mount = mounts.GetOrAdd(location.Key, _ => new Lazy<Task<string>>(() => CreateAsync(location)));
        try
        {
            return await mount.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (mount.Value.IsFaulted)
        {
            mounts.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(location.Key, mount));
            throw;
        }
    }

    async Task<string> CreateAsync(BlobLocation location)
    {
        string name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(location.Key)))[..16];
        string folder = emulator.Folder("mounts", name);
        await BlobTransfer.DownloadFolderAsync(location, folder, emulator.Stopping);
        return folder;
    }
}
