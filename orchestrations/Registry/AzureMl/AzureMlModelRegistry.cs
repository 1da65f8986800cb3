using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Core;
using GenAiServerless.Platform.AzureMl;

namespace GenAiServerless.Registry.AzureMl;

/// <summary>The pipeline's registry (<paramref name="inner"/>, the source of truth for versions and aliases) mirrored into
/// the Azure ML workspace: every registered version becomes a model asset version of the same number over the same files
/// (<c>PUT W/models/{name}/versions/{v}</c>, lineage in tags and properties, the training job as <c>jobName</c>), and an
/// alias move sets the asset's <c>stage</c> (champion → Production, challenger → Staging, a replaced champion →
/// Archived), so Azure ML studio shows what the pipeline promoted and deployments reference the asset.</summary>
public sealed class AzureMlModelRegistry(IModelRegistry inner, AzureMlClient client) : IModelRegistry
{
    public async Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken)
    {
        ModelVersionInfo info = await inner.RegisterAsync(registration, createdUtc, cancellationToken);
        await EnsureAssetAsync(info, cancellationToken);
        return info;
    }

    public async Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        await inner.SetAliasAsync(assignment, cancellationToken);
        if (Stage(assignment.Alias) is not { } stage)
        {
            return;
        }

        if (await inner.GetVersionAsync(assignment.Model, assignment.Version, cancellationToken) is { } now)
        {
            await SetStageAsync(now, stage, cancellationToken);
        }

        if (assignment.Alias == ModelAliases.Champion && await ReplacedChampionAsync(assignment, cancellationToken) is { } replaced)
        {
            await SetStageAsync(replaced, "Archived", cancellationToken);
        }
    }

    /// <summary>Restores the aliases, then the stages: the champion serving again is Production, the rolled-back version
    /// Staging while it is still the challenger, Archived otherwise.</summary>
    public async Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(restore);
        await inner.RestoreAliasesAsync(restore, cancellationToken);
        ModelAliasState state = await inner.GetAliasesAsync(restore.Model, cancellationToken);
        if (state.Aliases.TryGetValue(ModelAliases.Champion, out AliasPointer? champion)
            && await inner.GetVersionAsync(restore.Model, champion.Version, cancellationToken) is { } serving)
        {
            await SetStageAsync(serving, "Production", cancellationToken);
        }

        IReadOnlyList<string> aliases = state.For(restore.RolledBack);
        if (!aliases.Contains(ModelAliases.Champion) && await inner.GetVersionAsync(restore.Model, restore.RolledBack, cancellationToken) is { } rolledBack)
        {
            await SetStageAsync(rolledBack, aliases.Contains(ModelAliases.Challenger) ? "Staging" : "Archived", cancellationToken);
        }
    }

    public Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken) =>
        inner.GetVersionAsync(model, version, cancellationToken);

    public Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken) =>
        inner.GetAliasAsync(model, aliasName, cancellationToken);

    public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken) =>
        inner.ListVersionsAsync(model, cancellationToken);

    public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) =>
        inner.GetAliasesAsync(model, cancellationToken);

    public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken) =>
        inner.ListModelsAsync(cancellationToken);

    /// <summary>The body of the asset version of <paramref name="info"/> (public for the contract tests).</summary>
    public JsonObject VersionBody(ModelVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var tags = new JsonObject
        {
            ["pipeline"] = "genai-serverless",
            ["runId"] = info.RunId,
            ["trainingJob"] = info.JobId,
            ["dataManifestSha256"] = info.DataManifestSha256,
        };
        foreach ((string name, double value) in info.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            tags[$"metric.{name}"] = value.ToString("R", CultureInfo.InvariantCulture);
        }

        // Properties are immutable once the version exists: the lineage that must never change.
        var properties = new JsonObject
        {
            ["genai.runId"] = info.RunId,
            ["genai.trainingJob"] = info.JobId,
            ["genai.dataManifest"] = info.DataManifestBlob,
            ["genai.dataManifestSha256"] = info.DataManifestSha256,
            ["genai.files"] = info.FilesPrefix,
            ["genai.createdUtc"] = info.CreatedUtc.ToString("O", CultureInfo.InvariantCulture),
        };
        if (info.Signature is { } signature)
        {
            // Where to check the files the asset points at: the signed manifest and the key that signed it.
            properties["genai.manifestSha256"] = signature.ManifestSha256;
            properties["genai.signatureKeyId"] = signature.KeyId;
        }

        if (info.Lineage is { } lineage)
        {
            tags["gate"] = lineage.GateVerdict;
            properties["genai.comparedWithVersion"] = lineage.ComparedWithVersion?.ToString(CultureInfo.InvariantCulture) ?? "none";
        }

        return AzureMlModelAssets.VersionBody(client.Options, info.FilesPrefix,
            $"{info.Model} version {info.Version.ToString(CultureInfo.InvariantCulture)}, trained by run {info.RunId}", tags, properties, info.JobId);
    }

    async Task EnsureAssetAsync(ModelVersionInfo info, CancellationToken cancellationToken)
    {
        string path = AzureMlModelAssets.VersionPath(info.Model, info.Version);
        if (await client.GetAsync(path, cancellationToken) is null)
        {
            _ = await client.SendAsync(RequestMethod.Put, path, VersionBody(info), [200, 201], cancellationToken);
        }
    }

    /// <summary>The champion that the registry's move to <paramref name="assignment"/>'s version replaced, from the alias
    /// history, not the champion read before the move: a retry (the move done, the archive not) finds the alias in place
    /// already, and a concurrent promotion may land between a read and the move; null when it replaced none, or when the
    /// replaced version is an alias's stage again (champion or challenger).</summary>
    async Task<ModelVersionInfo?> ReplacedChampionAsync(AliasAssignment assignment, CancellationToken cancellationToken)
    {
        ModelAliasState state = await inner.GetAliasesAsync(assignment.Model, cancellationToken);
        AliasMove? move = state.History.LastOrDefault(m => m.Alias == ModelAliases.Champion);
        if (move is not { From: int from } || move.To != assignment.Version || from == assignment.Version || state.For(from).Any(a => Stage(a) is not null))
        {
            return null;
        }

        return await inner.GetVersionAsync(assignment.Model, from, cancellationToken);
    }

    /// <summary>GET → set <c>stage</c> → PUT: the stage is one of the fields a version may change.</summary>
    async Task SetStageAsync(ModelVersionInfo info, string stage, CancellationToken cancellationToken)
    {
        await EnsureAssetAsync(info, cancellationToken);
        string path = AzureMlModelAssets.VersionPath(info.Model, info.Version);
        JsonElement current = await client.GetAsync(path, cancellationToken)
            ?? throw new InvalidOperationException($"model asset {path} disappeared while its stage was set");
        JsonObject body = JsonNode.Parse(current.GetRawText())!.AsObject();
        foreach (string field in new[] { "id", "name", "type", "systemData" })
        {
            body.Remove(field);
        }

        JsonObject properties = body["properties"]!.AsObject();
        properties.Remove("provisioningState");
        if ((string?)properties["stage"] == stage)
        {
            return;
        }

        properties["stage"] = stage;
        _ = await client.SendAsync(RequestMethod.Put, path, body, [200, 201], cancellationToken);
    }

    static string? Stage(string alias) => alias switch
    {
        ModelAliases.Champion => "Production",
        ModelAliases.Challenger => "Staging",
        _ => null,
    };
}
