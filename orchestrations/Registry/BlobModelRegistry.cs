using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;

namespace GenAiServerless.Registry;

/// <summary>A model registry in blob storage: <c>registry/{model}/versions/{n}/version.json</c> (created once, never
/// overwritten), the files under <c>registry/{model}/runs/{runId}/files/</c>, aliases under <c>aliases/</c>.</summary>
public sealed class BlobModelRegistry(PipelineStorage storage) : IModelRegistry
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    BlobContainerClient Container => storage.Container(PipelineStorage.Registry);

    public async Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        IReadOnlyList<ModelVersionInfo> versions = await ListVersionsAsync(registration.Model, cancellationToken);
        if (versions.FirstOrDefault(v => v.RunId == registration.RunId) is { } existing)
        {
            return existing; // a retried activity or a replay: the run already has its version
        }

        string filesPrefix = $"{registration.Model}/runs/{registration.RunId}/files/";
        await CopyOutputsAsync(registration.OutputPrefix, filesPrefix, cancellationToken);

        int next = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
        for (int attempt = 0; attempt < 20; attempt++, next++)
        {
            var info = new ModelVersionInfo(registration.Model, next, $"{PipelineStorage.Registry}/{filesPrefix}", registration.RunId, registration.JobId,
                registration.DataManifestBlob, registration.DataManifestSha256, registration.Metrics, createdUtc);
            try
            {
                // If-None-Match: * makes the version number a claim: two runs can never take the same number.
                await Container.GetBlobClient(VersionBlob(registration.Model, next)).UploadAsync(
                    BinaryData.FromObjectAsJson(info, Json),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                    cancellationToken);
                return info;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // taken by a concurrent run; try the next number
            }
        }

        throw new InvalidOperationException($"Could not claim a version number for {registration.Model} after 20 attempts.");
    }

    public async Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        if (await GetVersionAsync(assignment.Model, assignment.Version, cancellationToken) is null)
        {
            throw new InvalidOperationException($"Cannot point alias '{assignment.Alias}' of {assignment.Model} at version {assignment.Version}: no such version.");
        }

        await Container.GetBlobClient($"{assignment.Model}/aliases/{assignment.Alias}.json")
            .UploadAsync(BinaryData.FromObjectAsJson(assignment, Json), overwrite: true, cancellationToken);
    }

    public async Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken) =>
        await ReadAsync<ModelVersionInfo>(VersionBlob(model, version), cancellationToken);

    public async Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken)
    {
        AliasAssignment? a = await ReadAsync<AliasAssignment>($"{model}/aliases/{aliasName}.json", cancellationToken);
        return a is null ? null : await GetVersionAsync(model, a.Version, cancellationToken);
    }

    public async Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken)
    {
        var list = new List<ModelVersionInfo>();
        await foreach (BlobItem item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = $"{model}/versions/" }, cancellationToken))
        {
            if (item.Name.EndsWith("/version.json", StringComparison.Ordinal) && await ReadAsync<ModelVersionInfo>(item.Name, cancellationToken) is { } v)
            {
                list.Add(v);
            }
        }

        return list.OrderBy(v => v.Version).ToList();
    }

    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken)
    {
        var models = new List<string>();
        await foreach (BlobHierarchyItem item in Container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, cancellationToken))
        {
            if (item.IsPrefix)
            {
                models.Add(item.Prefix.TrimEnd('/'));
            }
        }

        return models.Order(StringComparer.Ordinal).ToList();
    }

    async Task CopyOutputsAsync(string outputPrefix, string filesPrefix, CancellationToken cancellationToken)
    {
        (BlobContainerClient source, string prefix) = storage.Locate(outputPrefix);
        int copied = 0;
        await foreach (BlobItem item in source.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
        {
            BlobDownloadResult content = await source.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken);
            await Container.GetBlobClient(filesPrefix + item.Name[prefix.Length..]).UploadAsync(content.Content, overwrite: true, cancellationToken);
            copied++;
        }

        if (copied == 0)
        {
            throw new InvalidOperationException($"Nothing to register: no model files under {outputPrefix}.");
        }
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

    static string VersionBlob(string model, int version) => $"{model}/versions/{version.ToString("D6", CultureInfo.InvariantCulture)}/version.json";
}
