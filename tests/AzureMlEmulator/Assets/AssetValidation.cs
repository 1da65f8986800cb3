using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Assets;

/// <summary>What a version must hold before it is stored, and the references jobs and deployments make to assets:
/// a code version's <c>codeUri</c> and a model version's <c>modelUri</c> must point at uploaded blobs; an environment
/// needs an <c>image</c> or a <c>build.contextUri</c>; an <c>environmentId</c> names a registered version or a curated
/// environment of the <c>azureml</c> registry.</summary>
sealed partial class AssetValidation(StorageLocations locations, AssetRegistry registry)
{
    public async Task ValidateAsync(AssetKind kind, WorkspaceScope scope, JsonObject properties, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (kind == AssetKind.Codes)
        {
            await RequireBlobsAsync(scope, RequestBody.RequireText(properties, "codeUri", "properties.codeUri"), "properties.codeUri", "code", cancellationToken);
        }
        else if (kind == AssetKind.Models)
        {
            await RequireBlobsAsync(scope, RequestBody.RequireText(properties, "modelUri", "properties.modelUri"), "properties.modelUri", "model", cancellationToken);
        }
        else if (RequestBody.Text(properties, "image") is null && RequestBody.Text(RequestBody.Object(properties, "build"), "contextUri") is null)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User("An environment needs 'properties.image' or 'properties.build.contextUri'.", "properties.image"));
        }
    }

    /// <summary>Null when the id names a registered environment version or a curated one; else the error.</summary>
    public ArmError? CheckEnvironmentId(string? environmentId, string target)
    {
        if (string.IsNullOrWhiteSpace(environmentId))
        {
            return ArmError.User($"'{target}' is required.", target);
        }

        if (CuratedEnvironment().IsMatch(environmentId))
        {
            return null;
        }

        if (environmentId.StartsWith("azureml://registries/", StringComparison.OrdinalIgnoreCase))
        {
            return ArmError.User($"Environment '{environmentId}' was not found: the emulator knows the curated environments of the 'azureml' registry only.", target);
        }

        return registry.FindById(AssetKind.Environments, environmentId) is null
            ? ArmError.User($"Environment '{environmentId}' was not found: register it with PUT {{workspace}}/environments/{{name}}/versions/{{version}} first.", target)
            : null;
    }

    async Task RequireBlobsAsync(WorkspaceScope scope, string uri, string target, string what, CancellationToken cancellationToken)
    {
        BlobLocation location = locations.Resolve(scope, uri, target);
        if (!await BlobTransfer.ExistsAsync(location, cancellationToken))
        {
            throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"The {what} URI '{uri}' points at no uploaded blobs (container '{location.Container.Name}', path '{location.Path}').", target));
        }
    }

    [GeneratedRegex(@"^azureml://registries/azureml/environments/[^/]+/(versions|labels)/[^/]+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CuratedEnvironment();
}
