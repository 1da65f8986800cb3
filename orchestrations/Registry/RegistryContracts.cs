namespace GenAiServerless.Registry;

/// <summary>An immutable registered model version with its lineage.</summary>
public sealed record ModelVersionInfo(
    string Model,
    int Version,
    string FilesPrefix,
    string RunId,
    string JobId,
    string DataManifestBlob,
    string DataManifestSha256,
    IReadOnlyDictionary<string, double> Metrics,
    DateTime CreatedUtc);

/// <summary>Input of <see cref="RegisterModelVersion"/>: a trained model's outputs and lineage.</summary>
public sealed record ModelRegistration(
    string Model,
    string RunId,
    string JobId,
    string OutputPrefix,
    string DataManifestBlob,
    string DataManifestSha256,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>The aliases the pipeline moves.</summary>
public static class ModelAliases
{
    /// <summary>The version serving users.</summary>
    public const string Champion = "champion";

    /// <summary>The newest version that passed the gate.</summary>
    public const string Challenger = "challenger";
}

/// <summary>Input of <see cref="SetModelAlias"/>.</summary>
public sealed record AliasAssignment(string Model, string Alias, int Version);

/// <summary>Input of <see cref="GetModelVersion"/>: a version number, or an alias when the number is null.</summary>
public sealed record ModelVersionQuery(string Model, int? Version, string? Alias);

/// <summary>The model registry: versions are immutable, aliases (<c>champion</c>, <c>challenger</c>) move.</summary>
public interface IModelRegistry
{
    /// <summary>Registers the run's model as a new version, or returns the version this run registered already.</summary>
    Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken);

    Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken);

    Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken);

    Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken);

    /// <summary>The names of the models the registry holds anything for, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken);
}
