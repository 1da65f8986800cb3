using System.Text.Json;
using System.Text.Json.Serialization;
using GenAiServerless.Registry.Signing;

namespace GenAiServerless.Registry;

/// <summary>An immutable registered model version with its lineage. Its record in the registry
/// (<c>versions/{n}/version.json</c>) is the version's manifest: written once, and what the signature covers.</summary>
/// <param name="Files">Every registered file with its size and SHA-256; null only for versions registered before files
/// were hashed (such a version cannot be verified, so it is never rolled out).</param>
/// <param name="Lineage">Where the version came from beyond the run and its data: the gate's decision and what it compared.</param>
/// <param name="Signature">The manifest's signature (kept beside the record, not in it); null when it is not signed.</param>
public sealed record ModelVersionInfo(
    string Model,
    int Version,
    string FilesPrefix,
    string RunId,
    string JobId,
    string DataManifestBlob,
    string DataManifestSha256,
    IReadOnlyDictionary<string, double> Metrics,
    DateTime CreatedUtc,
    IReadOnlyList<RegisteredFile>? Files = null,
    ModelLineage? Lineage = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ManifestSignature? Signature = null);

/// <summary>One registered file: its path under the version's files, its size and its SHA-256 (lower-case hex).</summary>
public sealed record RegisteredFile(string Path, long Bytes, string Sha256);

/// <summary>A version's lineage beyond the run, the training job and the data manifest (which <see cref="ModelVersionInfo"/>
/// carries itself).</summary>
/// <param name="EvaluationJobId">The job that scored the version on the evaluation examples.</param>
/// <param name="ComparedWithVersion">The champion the gate compared the version with; null when there was none.</param>
/// <param name="TrainerComponent">The training component (model family) that produced it.</param>
/// <param name="Hyperparameters">The hyperparameters the training job was given.</param>
/// <param name="Compute">The compute it trained on (SKU, region, spot or on-demand).</param>
/// <param name="GateVerdict">The gate's verdict (<c>promote</c>, …).</param>
/// <param name="Gate">The gate's decision record (the evaluation stage's <c>GateDecision</c>: scores of both models, the
/// interval, thresholds, verdict, reasons, approver) as JSON: the registry keeps it without depending on that stage.</param>
public sealed record ModelLineage(
    string? EvaluationJobId,
    int? ComparedWithVersion,
    string? TrainerComponent,
    IReadOnlyDictionary<string, string>? Hyperparameters,
    string? Compute,
    string? GateVerdict,
    JsonElement? Gate);

/// <summary>Input of <see cref="RegisterModelVersion"/>: a trained model's outputs and lineage.</summary>
public sealed record ModelRegistration(
    string Model,
    string RunId,
    string JobId,
    string OutputPrefix,
    string DataManifestBlob,
    string DataManifestSha256,
    IReadOnlyDictionary<string, double> Metrics,
    ModelLineage? Lineage = null);

/// <summary>The aliases the pipeline moves.</summary>
public static class ModelAliases
{
    /// <summary>The version serving users.</summary>
    public const string Champion = "champion";

    /// <summary>The newest version that passed the gate.</summary>
    public const string Challenger = "challenger";

    /// <summary>The champion before the current one: set whenever the champion moves, the version a rollback returns to.</summary>
    public const string Previous = "previous";
}

/// <summary>Input of <see cref="SetModelAlias"/>: point <paramref name="Alias"/> at <paramref name="Version"/>.</summary>
/// <param name="By">Who moved it (a user, or the pipeline run); recorded in the alias history.</param>
/// <param name="Reason">Why; recorded in the alias history.</param>
public sealed record AliasAssignment(string Model, string Alias, int Version, string? By = null, string? Reason = null);

/// <summary>Where an alias points now, and since when, by whom and why.</summary>
public sealed record AliasPointer(int Version, string By, DateTime SetUtc, string Reason);

/// <summary>One move of an alias, as the history keeps it.</summary>
/// <param name="From">The version the alias pointed at before; null when it was new.</param>
/// <param name="To">The version it points at since; null when the move removed it (a rollback of a first promotion).</param>
public sealed record AliasMove(string Alias, int? From, int? To, string By, DateTime Utc, string Reason);

/// <summary>Input of <see cref="IModelRegistry.RestoreAliasesAsync"/>: a rolled-back promotion undone. <c>champion</c>
/// points at <paramref name="Champion"/> (the version serving again) and <c>previous</c> at <paramref name="Previous"/>
/// (what it was before the rollout), each removed when null; <paramref name="RolledBack"/> is named in the history and
/// left the target of no alias (<c>challenger</c> too is removed when it names it).</summary>
public sealed record AliasRestore(string Model, int RolledBack, int? Champion, int? Previous, string? By = null, string? Reason = null);

/// <summary>A model's aliases and their history (every move, oldest first): one record, written with ETag checks, so a
/// promotion moves <c>champion</c> and <c>previous</c> together or not at all.</summary>
public sealed record ModelAliasState(IReadOnlyDictionary<string, AliasPointer> Aliases, IReadOnlyList<AliasMove> History)
{
    public static ModelAliasState Empty { get; } = new(new Dictionary<string, AliasPointer>(), []);

    /// <summary>The state after <paramref name="assignment"/>: the alias moved, and when it is the champion, <c>previous</c>
    /// pointed at the champion it replaces; every move in the history.</summary>
    public ModelAliasState After(AliasAssignment assignment, DateTime utc)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        string by = string.IsNullOrWhiteSpace(assignment.By) ? "unknown" : assignment.By;
        string reason = assignment.Reason ?? string.Empty;
        var aliases = new Dictionary<string, AliasPointer>(Aliases, StringComparer.Ordinal);
        var history = new List<AliasMove>(History);
        if (assignment.Alias == ModelAliases.Champion && aliases.TryGetValue(ModelAliases.Champion, out AliasPointer? champion) && champion.Version != assignment.Version)
        {
            string why = $"v{champion.Version} replaced as champion by v{assignment.Version}";
            history.Add(new AliasMove(ModelAliases.Previous, aliases.TryGetValue(ModelAliases.Previous, out AliasPointer? p) ? p.Version : null, champion.Version, by, utc, why));
            aliases[ModelAliases.Previous] = new AliasPointer(champion.Version, by, utc, why);
        }

        history.Add(new AliasMove(assignment.Alias, aliases.TryGetValue(assignment.Alias, out AliasPointer? before) ? before.Version : null, assignment.Version, by, utc, reason));
        aliases[assignment.Alias] = new AliasPointer(assignment.Version, by, utc, reason);
        return new ModelAliasState(aliases, history);
    }

    /// <summary>The state after <paramref name="restore"/>: <c>champion</c> and <c>previous</c> as it says, and no
    /// <c>challenger</c> if it named the rolled-back version, each change in the history; unchanged when someone else moved <c>champion</c> since the promotion (it points at neither the
    /// rolled-back version nor the one restored), since that move is newer than the rollback.</summary>
    public ModelAliasState Restored(AliasRestore restore, DateTime utc)
    {
        ArgumentNullException.ThrowIfNull(restore);
        if (Aliases.TryGetValue(ModelAliases.Champion, out AliasPointer? champion) && champion.Version != restore.RolledBack && champion.Version != restore.Champion)
        {
            return this;
        }

        string by = string.IsNullOrWhiteSpace(restore.By) ? "unknown" : restore.By;
        string reason = restore.Reason ?? $"v{restore.RolledBack} rolled back";
        var aliases = new Dictionary<string, AliasPointer>(Aliases, StringComparer.Ordinal);
        var history = new List<AliasMove>(History);
        // A challenger that is the rolled-back version is removed too: `deploy --alias challenger` must not bring back
        // what the rollout rejected (it stays deployable by its number).
        int? challenger = Aliases.TryGetValue(ModelAliases.Challenger, out AliasPointer? c) && c.Version != restore.RolledBack ? c.Version : null;
        foreach ((string alias, int? version) in new[] { (ModelAliases.Champion, restore.Champion), (ModelAliases.Previous, restore.Previous), (ModelAliases.Challenger, challenger) })
        {
            int? now = aliases.TryGetValue(alias, out AliasPointer? pointer) ? pointer.Version : null;
            if (now == version)
            {
                continue;
            }

            history.Add(new AliasMove(alias, now, version, by, utc, reason));
            if (version is int v)
            {
                aliases[alias] = new AliasPointer(v, by, utc, reason);
            }
            else
            {
                aliases.Remove(alias);
            }
        }

        return history.Count == History.Count ? this : new ModelAliasState(aliases, history);
    }

    /// <summary>The aliases pointing at <paramref name="version"/>, by name.</summary>
    public IReadOnlyList<string> For(int version) => [.. Aliases.Where(a => a.Value.Version == version).Select(a => a.Key).Order(StringComparer.Ordinal)];
}

/// <summary>Input of <see cref="GetModelVersion"/>: a version number, or an alias when the number is null.</summary>
public sealed record ModelVersionQuery(string Model, int? Version, string? Alias);

/// <summary>Input of <see cref="VerifyModelVersion"/>: the version about to be rolled out, and the files the rollout
/// will deploy.</summary>
public sealed record ModelVersionCheck(string Model, int Version, string FilesPrefix);

/// <summary>The outcome of verifying a version before it is deployed: the signature over its manifest and every file's
/// hash. <paramref name="Problems"/> names each file or record that does not match.</summary>
public sealed record VersionVerification(bool Verified, string Detail, IReadOnlyList<string> Problems, string? KeyId);

/// <summary>The model registry: versions and their files are immutable and signed; aliases (<c>champion</c>,
/// <c>challenger</c>, <c>previous</c>, or any other name) move, with a history.</summary>
public interface IModelRegistry
{
    /// <summary>Registers the run's model as a new version, or returns the version this run registered already.</summary>
    Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken);

    /// <summary>Points an alias at a version (a no-op when it points there already). Moving <c>champion</c> also points
    /// <c>previous</c> at the champion it replaces.</summary>
    Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken);

    /// <summary>Undoes a rolled-back promotion (<see cref="AliasRestore"/>) in one write; a no-op when done already.</summary>
    Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken);

    Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken);

    Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken);

    Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken);

    /// <summary>The model's aliases and their history.</summary>
    Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken);

    /// <summary>The names of the models the registry holds anything for, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken);
}
