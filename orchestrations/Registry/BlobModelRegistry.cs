using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;
using GenAiServerless.Registry.Signing;

namespace GenAiServerless.Registry;

/// <summary>A model registry in blob storage (container <c>registry</c>):
/// <list type="bullet">
/// <item><c>{model}/runs/{runId}/files/…</c>: the registered files, copied once and never overwritten;</item>
/// <item><c>{model}/runs/{runId}/claim.json</c>: the version number the run takes, so a run registers once;</item>
/// <item><c>{model}/versions/{n}/version.json</c>: the version record and manifest (every file with its SHA-256, the
/// lineage, the gate's decision), created with <c>If-None-Match: *</c>, which makes the number a claim;</item>
/// <item><c>{model}/versions/{n}/signature.json</c>: PS256 over the manifest's SHA-256, written once;</item>
/// <item><c>{model}/aliases.json</c>: the aliases and their history, written with ETag checks.</item>
/// </list></summary>
public sealed partial class BlobModelRegistry(PipelineStorage storage, IManifestSigner signer, TimeProvider clock) : IModelRegistry
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>How often a conditional write lost to a concurrent writer is retried.</summary>
    const int ConflictRetries = 20;

    BlobContainerClient Container => storage.Container(PipelineStorage.Registry);

    public async Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        CheckName(registration.Model, "model");
        IReadOnlyList<ModelVersionInfo> versions = await ListVersionsAsync(registration.Model, cancellationToken);
        if (versions.FirstOrDefault(v => v.RunId == registration.RunId) is { } existing)
        {
            // A retried activity or a replay: the run has its version already; sign it if the first attempt stopped short.
            return existing.Signature is null ? await SignAsync(existing, cancellationToken) : existing;
        }

        string filesPrefix = $"{registration.Model}/runs/{registration.RunId}/files/";
        IReadOnlyList<RegisteredFile> files = await CopyOutputsAsync(registration.OutputPrefix, filesPrefix, cancellationToken);

        // The run's claim names the number the run takes, so every attempt of the run (a retry, or a re-delivered
        // activity running beside the first delivery) takes that one number: a run never gets two versions.
        BlobClient claim = Container.GetBlobClient(ClaimBlob(registration.Model, registration.RunId));
        for (int lost = 0, step = 0; lost < ConflictRetries && step < 4 * ConflictRetries; step++)
        {
            (RunClaim? claimed, ETag? etag) = await ReadClaimAsync(claim, cancellationToken);
            if (claimed is null)
            {
                // Won or lost to another attempt of the run: either way the claim is read again.
                await TryWriteAsync(claim, new RunClaim(NextNumber(versions)), new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken);
                continue;
            }

            if (await GetVersionAsync(registration.Model, claimed.Version, cancellationToken) is not { } taken)
            {
                var info = new ModelVersionInfo(registration.Model, claimed.Version, $"{PipelineStorage.Registry}/{filesPrefix}", registration.RunId, registration.JobId,
                    registration.DataManifestBlob, registration.DataManifestSha256, registration.Metrics, createdUtc, files, registration.Lineage);

                // If-None-Match: * makes the version number a claim: two runs can never take the same number.
                if (await TryWriteAsync(Container.GetBlobClient(VersionBlob(registration.Model, claimed.Version)), info,
                    new BlobRequestConditions { IfNoneMatch = ETag.All }, cancellationToken))
                {
                    return await SignAsync(info, cancellationToken);
                }

                continue; // taken meanwhile, by another attempt of this run or by another run: read what took it
            }

            if (taken.RunId == registration.RunId)
            {
                return taken.Signature is null ? await SignAsync(taken, cancellationToken) : taken;
            }

            // Another run took the number first: move the claim to the next free one (a concurrent attempt of this
            // run may have moved it already; then this write loses and the claim is read again).
            lost++;
            versions = await ListVersionsAsync(registration.Model, cancellationToken);
            await TryWriteAsync(claim, new RunClaim(NextNumber(versions)), new BlobRequestConditions { IfMatch = etag }, cancellationToken);
        }

        throw new InvalidOperationException($"Could not claim a version number for {registration.Model} after {ConflictRetries} attempts.");
    }

    public async Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        CheckName(assignment.Model, "model");
        CheckName(assignment.Alias, "alias");
        if (await GetVersionAsync(assignment.Model, assignment.Version, cancellationToken) is null)
        {
            throw new InvalidOperationException($"Cannot point alias '{assignment.Alias}' of {assignment.Model} at version {assignment.Version}: no such version.");
        }

        await UpdateAliasesAsync(assignment.Model, $"move alias '{assignment.Alias}' of {assignment.Model}", state =>
            state.Aliases.TryGetValue(assignment.Alias, out AliasPointer? current) && current.Version == assignment.Version
                ? null // already there: a retried activity must not add a second move to the history
                : state.After(assignment, clock.GetUtcNow().UtcDateTime), cancellationToken);
    }

    public async Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(restore);
        CheckName(restore.Model, "model");
        await UpdateAliasesAsync(restore.Model, $"restore the aliases of {restore.Model}", state =>
        {
            ModelAliasState next = state.Restored(restore, clock.GetUtcNow().UtcDateTime);
            return ReferenceEquals(next, state) ? null : next;
        }, cancellationToken);
    }

    /// <summary>Writes <paramref name="change"/>'s state of the model's aliases (nothing when it returns null) with the
    /// ETag read, or If-None-Match: * for a model's first alias: a concurrent move makes this one start over from what
    /// that move wrote, so no move is lost and champion and previous stay a pair.</summary>
    Task<bool> UpdateAliasesAsync(string model, string what, Func<ModelAliasState, ModelAliasState?> change, CancellationToken cancellationToken) =>
        BlobRecord.UpdateAsync(Container.GetBlobClient(AliasesBlob(model)), async content =>
        {
            ModelAliasState state = await AliasesFromAsync(model, content, cancellationToken);
            return change(state) is { } next ? BlobChange.Put(BinaryData.FromObjectAsJson(next, Json), true) : BlobChange.Keep(false);
        }, ConflictRetries, what, cancellationToken);

    public async Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken)
    {
        ModelVersionInfo? info = await ReadAsync<ModelVersionInfo>(VersionBlob(model, version), cancellationToken);
        return info is null ? null : info with { Signature = await ReadAsync<ManifestSignature>(SignatureBlob(model, version), cancellationToken) };
    }

    public async Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken)
    {
        ModelAliasState state = await ReadAliasesAsync(model, cancellationToken);
        return state.Aliases.TryGetValue(aliasName, out AliasPointer? pointer) ? await GetVersionAsync(model, pointer.Version, cancellationToken) : null;
    }

    public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) =>
        ReadAliasesAsync(model, cancellationToken);

    public async Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken)
    {
        var list = new List<ModelVersionInfo>();
        await foreach (BlobItem item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{model}/versions/" }, cancellationToken))
        {
            if (item.Name.EndsWith("/version.json", StringComparison.Ordinal) && await ReadAsync<ModelVersionInfo>(item.Name, cancellationToken) is { } v)
            {
                list.Add(v with { Signature = await ReadAsync<ManifestSignature>(SignatureBlob(model, v.Version), cancellationToken) });
            }
        }

        return list.OrderBy(v => v.Version).ToList();
    }

    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var models = new List<string>();
        await foreach (BlobHierarchyItem item in Container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, cancellationToken))
        {
            // A model's folder; names starting with '_' or '.' are the registry's own.
            if (item.IsPrefix && item.Prefix is [not ('_' or '.'), ..])
            {
                models.Add(item.Prefix.TrimEnd('/'));
            }
        }

        return models.Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The record of version <paramref name="version"/>: its manifest, the bytes the signature covers.</summary>
    public static string VersionBlob(string model, int version) => $"{model}/versions/{version.ToString("D6", CultureInfo.InvariantCulture)}/version.json";

    /// <summary>The signature of version <paramref name="version"/>'s manifest.</summary>
    public static string SignatureBlob(string model, int version) => $"{model}/versions/{version.ToString("D6", CultureInfo.InvariantCulture)}/signature.json";

    /// <summary>The SHA-256 (lower-case hex) of a blob's content, streamed.</summary>
    public static async Task<string> HashAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        BlobDownloadStreamingResult download = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken);
        await using Stream content = download.Content;
        return Ps256.Hex(await SHA256.HashDataAsync(content, cancellationToken));
    }

    /// <summary>Signs the version's manifest (the exact bytes of its record) once: a concurrent or earlier signature wins.</summary>
    async Task<ModelVersionInfo> SignAsync(ModelVersionInfo info, CancellationToken cancellationToken)
    {
        BlobDownloadResult manifest = await Container.GetBlobClient(VersionBlob(info.Model, info.Version)).DownloadContentAsync(cancellationToken);
        byte[] digest = SHA256.HashData(manifest.Content.ToMemory().Span);
        DigestSignature signed = await signer.SignAsync(digest, cancellationToken);
        var signature = new ManifestSignature(Ps256.Algorithm, signed.KeyId, Ps256.Base64Url(signed.Value), Ps256.Hex(digest), clock.GetUtcNow().UtcDateTime);
        try
        {
            await Container.GetBlobClient(SignatureBlob(info.Model, info.Version)).UploadAsync(
                BinaryData.FromObjectAsJson(signature, Json),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            signature = await ReadAsync<ManifestSignature>(SignatureBlob(info.Model, info.Version), cancellationToken) ?? signature;
        }

        return info with { Signature = signature };
    }

    /// <summary>Copies the run's outputs into the registry, hashing each file as it goes. A file is written only if it is
    /// not there: one already there (a retried registration) must hold the same bytes, or the registration fails, since
    /// registered files are never overwritten.</summary>
    async Task<IReadOnlyList<RegisteredFile>> CopyOutputsAsync(string outputPrefix, string filesPrefix, CancellationToken cancellationToken)
    {
        (BlobContainerClient source, string prefix) = storage.Locate(outputPrefix);
        var files = new List<RegisteredFile>();
        await foreach (BlobItem item in source.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            string path = item.Name[prefix.Length..];
            BlobClient target = Container.GetBlobClient(filesPrefix + path);
            BlobDownloadStreamingResult download = await source.GetBlobClient(item.Name).DownloadStreamingAsync(cancellationToken: cancellationToken);
            string sha256;
            long bytes;
            await using (Stream content = download.Content)
            await using (var hashing = new HashingStream(content))
            {
                try
                {
                    await target.UploadAsync(hashing, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
                    (sha256, bytes) = (hashing.Sha256(), hashing.Bytes);
                }
                catch (RequestFailedException e) when (e.Status is 409 or 412)
                {
                    await using (Stream again = await source.GetBlobClient(item.Name).OpenReadAsync(cancellationToken: cancellationToken))
                    {
                        (sha256, bytes) = (Ps256.Hex(await SHA256.HashDataAsync(again, cancellationToken)), item.Properties.ContentLength ?? 0);
                    }

                    string there = await HashAsync(target, cancellationToken);
                    if (there != sha256)
                    {
                        throw new InvalidOperationException($"{PipelineStorage.Registry}/{filesPrefix}{path} is registered already with other content (SHA-256 {there}, new {sha256}): registered files are never overwritten");
                    }
                }
            }

            files.Add(new RegisteredFile(path, bytes, sha256));
        }

        if (files.Count == 0)
        {
            throw new InvalidOperationException($"Nothing to register: no model files under {outputPrefix}.");
        }

        return [.. files.OrderBy(f => f.Path, StringComparer.Ordinal)];
    }

    async Task<ModelAliasState> ReadAliasesAsync(string model, CancellationToken cancellationToken) =>
        await AliasesFromAsync(model, (await BlobRecord.ReadAsync(Container.GetBlobClient(AliasesBlob(model)), cancellationToken)).Content, cancellationToken);

    /// <summary>The alias state stored as <paramref name="content"/>, or, where there is none yet, as the legacy blobs have it.</summary>
    async Task<ModelAliasState> AliasesFromAsync(string model, BinaryData? content, CancellationToken cancellationToken) =>
        content is null
            ? await ReadLegacyAliasesAsync(model, cancellationToken)
            : content.ToObjectFromJson<ModelAliasState>(Json) ?? ModelAliasState.Empty;

    /// <summary>Aliases as registries before the alias history kept them (<c>{model}/aliases/{alias}.json</c>, one blob
    /// each): read until the first move writes <c>aliases.json</c>, so an upgrade keeps the champion.</summary>
    async Task<ModelAliasState> ReadLegacyAliasesAsync(string model, CancellationToken cancellationToken)
    {
        var aliases = new Dictionary<string, AliasPointer>(StringComparer.Ordinal);
        await foreach (BlobItem item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{model}/aliases/" }, cancellationToken))
        {
            if (await ReadAsync<AliasAssignment>(item.Name, cancellationToken) is { } a)
            {
                aliases[a.Alias] = new AliasPointer(a.Version, "unknown", item.Properties.LastModified?.UtcDateTime ?? DateTime.UnixEpoch, "set before the alias history");
            }
        }

        return aliases.Count == 0 ? ModelAliasState.Empty : new ModelAliasState(aliases, []);
    }

    async Task<T?> ReadAsync<T>(string name, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            BlobDownloadResult r = await Container.GetBlobClient(name).DownloadContentAsync(cancellationToken);
            return r.Content.ToObjectFromJson<T>(Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    static string AliasesBlob(string model) => $"{model}/aliases.json";

    /// <summary>The version number a run takes (see <see cref="RunClaim"/>).</summary>
    static string ClaimBlob(string model, string runId) => $"{model}/runs/{runId}/claim.json";

    static int NextNumber(IReadOnlyList<ModelVersionInfo> versions) => versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;

    static async Task<(RunClaim? Claim, ETag? ETag)> ReadClaimAsync(BlobClient claim, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult r = await claim.DownloadContentAsync(cancellationToken);
            return (r.Content.ToObjectFromJson<RunClaim>(Json), r.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, null);
        }
    }

    /// <summary>A conditional write; false when the condition failed (a concurrent writer won).</summary>
    static async Task<bool> TryWriteAsync<T>(BlobClient blob, T content, BlobRequestConditions conditions, CancellationToken cancellationToken)
    {
        try
        {
            await blob.UploadAsync(BinaryData.FromObjectAsJson(content, Json), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return false;
        }
    }

    static void CheckName(string value, string what)
    {
        if (!NamePattern().IsMatch(value ?? string.Empty))
        {
            throw new ArgumentException($"'{value}' is not a valid {what} name: lower-case letters, digits and dashes, not starting with a dash (at most 63 characters)");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    /// <summary>The version number a run takes (<c>{model}/runs/{runId}/claim.json</c>), created with
    /// <c>If-None-Match: *</c> before the version itself and moved with ETag checks when another run takes the number
    /// first.</summary>
    sealed record RunClaim(int Version);

    /// <summary>Hashes what passes through it, so a file is hashed while it is copied.</summary>
    sealed class HashingStream(Stream inner) : Stream
    {
        readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public long Bytes { get; private set; }

        public string Sha256() => Ps256.Hex(hash.GetHashAndReset());

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Bytes; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            hash.AppendData(buffer[..n]);
            Bytes += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span[..n]);
            Bytes += n;
            return n;
        }

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
                hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
