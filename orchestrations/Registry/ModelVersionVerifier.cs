using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;
using GenAiServerless.Registry.Signing;

namespace GenAiServerless.Registry;

/// <summary>Checks a registered version before it is deployed: its manifest (the version record's exact bytes) has a
/// signature that verifies with one of the signer's keys, the files to deploy are the manifest's, and every file under
/// them has the SHA-256 the manifest records, with none missing and none added.</summary>
public sealed class ModelVersionVerifier(PipelineStorage storage, IManifestSigner signer)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<VersionVerification> VerifyAsync(ModelVersionCheck check, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        string name = $"{check.Model} v{check.Version}";
        BlobContainerClient registry = storage.Container(PipelineStorage.Registry);
        byte[]? manifest = await ReadAsync(registry.GetBlobClient(BlobModelRegistry.VersionBlob(check.Model, check.Version)), cancellationToken);
        if (manifest is null)
        {
            return Refused(name, $"{name} is not registered", null);
        }

        byte[]? signatureJson = await ReadAsync(registry.GetBlobClient(BlobModelRegistry.SignatureBlob(check.Model, check.Version)), cancellationToken);
        if (signatureJson is null)
        {
            return Refused(name, $"{name} has no signature ({BlobModelRegistry.SignatureBlob(check.Model, check.Version)} is missing)", null);
        }

        ManifestSignature? signature = TryParse<ManifestSignature>(signatureJson);
        if (signature is null || signature.Algorithm != Ps256.Algorithm)
        {
            return Refused(name, $"{name}'s signature record is unreadable or not {Ps256.Algorithm}", null);
        }

        byte[] digest = SHA256.HashData(manifest);
        if (!string.Equals(Ps256.Hex(digest), signature.ManifestSha256, StringComparison.OrdinalIgnoreCase))
        {
            return Refused(name, $"{name}'s manifest (version.json) changed after it was signed: SHA-256 {Ps256.Hex(digest)}, signed {signature.ManifestSha256}", signature.KeyId);
        }

        RSAParameters? key = await signer.GetPublicKeyAsync(signature.KeyId, cancellationToken);
        if (key is null)
        {
            return Refused(name, $"{name} is signed with key {signature.KeyId}, which is not a key this registry trusts", signature.KeyId);
        }

        byte[] value;
        try
        {
            value = Ps256.FromBase64Url(signature.Value);
        }
        catch (FormatException)
        {
            return Refused(name, $"{name}'s signature is not base64url", signature.KeyId);
        }

        if (!Ps256.Verify(key.Value, digest, value))
        {
            return Refused(name, $"{name}'s signature does not verify with key {signature.KeyId}", signature.KeyId);
        }

        ModelVersionInfo? info = TryParse<ModelVersionInfo>(manifest);
        if (info?.Files is not { Count: > 0 } files)
        {
            return Refused(name, $"{name}'s manifest lists no files (registered before files were hashed)", signature.KeyId);
        }

        if (info.FilesPrefix != check.FilesPrefix)
        {
            return Refused(name, $"the rollout would deploy {check.FilesPrefix}, but {name}'s signed manifest is for {info.FilesPrefix}", signature.KeyId);
        }

        List<string> problems = await CheckFilesAsync(info.FilesPrefix, files, cancellationToken);
        return problems.Count == 0
            ? new VersionVerification(true, $"{name}: signature by {signature.KeyId} verified, {files.Count} file(s) match their SHA-256", [], signature.KeyId)
            : new VersionVerification(false, $"refused {name}: " + string.Join("; ", problems), problems, signature.KeyId);
    }

    async Task<List<string>> CheckFilesAsync(string filesPrefix, IReadOnlyList<RegisteredFile> files, CancellationToken cancellationToken)
    {
        (BlobContainerClient container, string prefix) = storage.Locate(filesPrefix);
        var expected = files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            string path = item.Name[prefix.Length..];
            seen.Add(path);
            if (!expected.TryGetValue(path, out RegisteredFile? file))
            {
                problems.Add($"file {path} is not in the signed manifest");
                continue;
            }

            string actual = await BlobModelRegistry.HashAsync(container.GetBlobClient(item.Name), cancellationToken);
            if (actual != file.Sha256)
            {
                problems.Add($"file {path} changed: SHA-256 {actual}, manifest {file.Sha256}");
            }
        }

        problems.AddRange(files.Where(f => !seen.Contains(f.Path)).Select(f => $"file {f.Path} is missing"));
        return problems;
    }

    static VersionVerification Refused(string name, string problem, string? keyId) => new(false, $"refused {name}: {problem}", [problem], keyId);

    static async Task<byte[]?> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.DownloadContentAsync(cancellationToken)).Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    static T? TryParse<T>(byte[] json)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
