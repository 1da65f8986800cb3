using System.Globalization;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Assets;

/// <summary>A versioned asset type: its route segment and the version fields that may never change once created.</summary>
sealed record AssetKind(string Segment, string Noun, string[] ImmutableFields)
{
    public static readonly AssetKind Codes = new("codes", "code", ["codeUri"]);
    public static readonly AssetKind Environments = new("environments", "environment", ["image", "condaFile", "build", "inferenceConfig"]);
    public static readonly AssetKind Models = new("models", "model", ["modelUri", "modelType", "flavors", "jobName"]);

    public string ContainerType => $"Microsoft.MachineLearningServices/workspaces/{Segment}";

    public string VersionType => $"{ContainerType}/versions";
}

/// <summary>One version of an asset.</summary>
sealed class AssetVersion(string version, JsonObject properties, DateTimeOffset created)
{
    public string Version { get; } = version;

    public JsonObject Properties { get; set; } = properties;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Modified { get; set; } = created;
}

/// <summary>An asset container (<c>W/models/{name}</c>) and its versions in the order they were created.</summary>
sealed class AssetContainer(string name, JsonObject properties, DateTimeOffset created)
{
    public string Name { get; } = name;

    public JsonObject Properties { get; set; } = properties;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Modified { get; set; } = created;

    public List<AssetVersion> Versions { get; } = [];

    public AssetVersion? Find(string version) => Versions.Find(v => string.Equals(v.Version, version, StringComparison.Ordinal));

    /// <summary>The highest integer version, else the newest.</summary>
    public string? LatestVersion =>
        Versions.Where(v => long.TryParse(v.Version, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .MaxBy(v => long.Parse(v.Version, CultureInfo.InvariantCulture))?.Version
        ?? Versions.LastOrDefault()?.Version;

    /// <summary>The next integer version: one above the highest integer version ("1" when there is none).</summary>
    public string NextVersion =>
        (Versions.Select(v => long.TryParse(v.Version, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 0).DefaultIfEmpty(0).Max() + 1)
        .ToString(CultureInfo.InvariantCulture);
}

/// <summary>How a version PUT ended.</summary>
enum VersionPutOutcome
{
    Created,
    Updated,
    Conflict,
}

/// <summary>Codes, environments and models of every workspace. Versions are immutable: the fields of
/// <see cref="AssetKind.ImmutableFields"/> cannot change, and entries of the <c>properties</c> dictionary can be added
/// but not altered or removed (mfe.json: "Properties can be added, but not removed or altered"); description, tags,
/// stage and isArchived may be updated, as Azure ML allows.</summary>
sealed class AssetRegistry(TimeProvider clock)
{
    static readonly string[] MutableContainerFields = ["description", "tags", "properties", "isArchived"];

    readonly Lock gate = new();
    readonly Dictionary<string, AssetContainer> containers = new(StringComparer.Ordinal);

    public (AssetContainer Container, bool Created) PutContainer(AssetKind kind, WorkspaceScope scope, string name, JsonObject properties)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            if (containers.TryGetValue(Key(kind, scope, name), out AssetContainer? existing))
            {
                existing.Properties = Keep(properties, MutableContainerFields);
                existing.Modified = clock.GetUtcNow();
                return (existing, false);
            }

            return (Add(kind, scope, name, Keep(properties, MutableContainerFields)), true);
        }
    }

    public AssetContainer? FindContainer(AssetKind kind, WorkspaceScope scope, string name)
    {
        lock (gate)
        {
            return containers.GetValueOrDefault(Key(kind, scope, name));
        }
    }

    public AssetContainer[] ListContainers(AssetKind kind, WorkspaceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            string prefix = scope.ChildKey(kind.Segment + "/");
            return [.. containers.Where(c => c.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(c => c.Value)];
        }
    }

    /// <summary>Creates a version (and its container when missing), updates the mutable fields of an existing one, or
    /// refuses a change to an immutable field (the message names it).</summary>
    public (VersionPutOutcome Outcome, AssetVersion? Version, string? Conflict) PutVersion(AssetKind kind, WorkspaceScope scope, string name, string version, JsonObject properties)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(properties);
        lock (gate)
        {
            AssetContainer container = containers.GetValueOrDefault(Key(kind, scope, name)) ?? Add(kind, scope, name, []);
            if (container.Find(version) is not { } existing)
            {
                var created = new AssetVersion(version, properties, clock.GetUtcNow());
                container.Versions.Add(created);
                return (VersionPutOutcome.Created, created, null);
            }

            foreach (string field in kind.ImmutableFields)
            {
                if (!JsonNode.DeepEquals(existing.Properties[field], properties[field]))
                {
                    return (VersionPutOutcome.Conflict, existing, $"{kind.Noun} {name}:{version} already exists and its '{field}' cannot change (versions are immutable); register a new version.");
                }
            }

            if (existing.Properties["properties"] is JsonObject before)
            {
                JsonObject after = properties["properties"] as JsonObject ?? [];
                foreach ((string key, JsonNode? value) in before)
                {
                    if (!after.ContainsKey(key) || !JsonNode.DeepEquals(value, after[key]))
                    {
                        return (VersionPutOutcome.Conflict, existing, $"{kind.Noun} {name}:{version} already has the property '{key}'; properties can be added but not altered or removed.");
                    }
                }
            }

            existing.Properties = properties;
            existing.Modified = clock.GetUtcNow();
            return (VersionPutOutcome.Updated, existing, null);
        }
    }

    public AssetVersion? FindVersion(AssetKind kind, WorkspaceScope scope, string name, string version)
    {
        lock (gate)
        {
            return containers.GetValueOrDefault(Key(kind, scope, name))?.Find(version);
        }
    }

    /// <summary>Resolves an ARM id <c>{W}/{kind}/{name}/versions/{version}</c>.</summary>
    public (WorkspaceScope Scope, string Name, AssetVersion Version)? FindById(AssetKind kind, string? id)
    {
        ArgumentNullException.ThrowIfNull(kind);
        if (!WorkspaceScope.TryParseChild(id, out WorkspaceScope scope, out string[] segments)
            || segments is not [var segment, var name, var versions, var version]
            || !string.Equals(segment, kind.Segment, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(versions, "versions", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return FindVersion(kind, scope, name, version) is { } found ? (scope, name, found) : null;
    }

    AssetContainer Add(AssetKind kind, WorkspaceScope scope, string name, JsonObject properties)
    {
        var container = new AssetContainer(name, properties, clock.GetUtcNow());
        containers[Key(kind, scope, name)] = container;
        return container;
    }

    static JsonObject Keep(JsonObject properties, string[] fields)
    {
        var kept = new JsonObject();
        foreach (string field in fields)
        {
            if (properties[field] is { } value)
            {
                kept[field] = value.DeepClone();
            }
        }

        return kept;
    }

    static string Key(AssetKind kind, WorkspaceScope scope, string name) => scope.ChildKey($"{kind.Segment}/{name}");
}
