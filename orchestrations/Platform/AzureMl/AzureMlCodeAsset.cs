using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Storage.Blobs;

namespace GenAiServerless.Platform.AzureMl;

/// <summary>The components folder as an Azure ML code asset, versioned by its content: uploaded once
/// (<c>startPendingUpload</c> → blob upload with the SAS it returns → <c>PUT codes/{name}/versions/{hash}</c>) and reused
/// while the folder is unchanged. Jobs and online deployments reference it by id.</summary>
public sealed class AzureMlCodeAsset(AzureMlClient client, string folder) : IDisposable
{
    readonly SemaphoreSlim gate = new(1, 1);
    string? id;

    public void Dispose() => gate.Dispose();

    /// <summary>The folder uploaded.</summary>
    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>The code version's resource id, uploading the folder first when this version does not exist yet.</summary>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        if (id is not null)
        {
            return id;
        }

        await gate.WaitAsync(cancellationToken);
        try
        {
            if (id is not null)
            {
                return id;
            }

            if (!Directory.Exists(Folder))
            {
                throw new DirectoryNotFoundException($"the components folder {Folder} does not exist: Training:ComponentsFolder, or the build's components/");
            }

            (string version, List<string> files) = Version(Folder);
            string path = $"codes/{client.Options.CodeAssetName}/versions/{version}";
            if (await client.GetAsync(path, cancellationToken) is null)
            {
                string codeUri = await UploadAsync(path, files, cancellationToken);
                await client.SendAsync(RequestMethod.Put, path, new JsonObject
                {
                    ["properties"] = new JsonObject
                    {
                        ["codeUri"] = codeUri,
                        ["description"] = "GenAiServerless training components: ngram/, causal_lm/, score.py",
                        ["isAnonymous"] = false,
                    },
                }, [200, 201], cancellationToken);
            }

            return id = client.ResourceId(path);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Uploads the files under the blob folder the service hands out for this version; returns its URI.</summary>
    async Task<string> UploadAsync(string path, List<string> files, CancellationToken cancellationToken)
    {
        ArmResponse pending = await client.SendAsync(RequestMethod.Post, $"{path}/startPendingUpload",
            new JsonObject { ["pendingUploadType"] = "TemporaryBlobReference" }, [200], cancellationToken);
        JsonElement reference = pending.Body!.Value.GetProperty("blobReferenceForConsumption");
        string blobUri = reference.GetProperty("blobUri").GetString()!.TrimEnd('/');
        var sas = new Uri(reference.GetProperty("credential").GetProperty("sasUri").GetString()!);
        var container = new BlobContainerClient(sas);

        // The folder's blobs sit under the path blobUri names within the container the SAS grants (BlobUriBuilder
        // reads both Azure's host-style and an emulator's path-style URIs).
        string prefix = new BlobUriBuilder(new Uri(blobUri)).BlobName.TrimEnd('/');
        foreach (string file in files)
        {
            string relative = Path.GetRelativePath(Folder, file).Replace('\\', '/');
            await container.GetBlobClient($"{prefix}/{relative}").UploadAsync(file, overwrite: true, cancellationToken);
        }

        return blobUri;
    }

    /// <summary>A content hash of the folder (every file's relative path and bytes, in ordinal order) as the version.</summary>
    public static (string Version, List<string> Files) Version(string folder)
    {
        List<string> files = [.. Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}__pycache__{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, file).Replace('\\', '/') + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset())[..16], files);
    }
}
