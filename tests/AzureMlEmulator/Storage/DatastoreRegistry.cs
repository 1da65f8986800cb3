using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Storage;

/// <summary>A registered datastore: a container of the one storage account the emulator was given.</summary>
sealed record Datastore(string Name, string ContainerName, JsonObject Properties, DateTimeOffset Created, DateTimeOffset Modified);

/// <summary>The datastores of every workspace, each mapped to a container of the emulator's storage account (the
/// <c>accountName</c> and <c>endpoint</c> a datastore names are stored, not followed: there is one account here).
/// Every workspace has the default <c>workspaceblobstore</c>, as Azure ML creates it with the workspace.</summary>
sealed class DatastoreRegistry(BlobServiceClient service, AzureMlEmulatorOptions options, TimeProvider clock)
{
    public const string DefaultName = "workspaceblobstore";

    readonly Lock gate = new();
    readonly Dictionary<string, Datastore> datastores = new(StringComparer.Ordinal);

    public BlobServiceClient Service { get; } = service;

    public Datastore? Find(WorkspaceScope scope, string name)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            return datastores.GetValueOrDefault(Key(scope, name)) ?? (IsDefault(name) ? AddDefault(scope) : null);
        }
    }

    public Datastore[] List(WorkspaceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            AddDefault(scope);
            string prefix = Key(scope, "");
            return [.. datastores.Where(d => d.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(d => d.Value).OrderBy(d => d.Name, StringComparer.Ordinal)];
        }
    }

    /// <summary>Creates or replaces a datastore; true when it is new.</summary>
    public bool Put(WorkspaceScope scope, string name, string containerName, JsonObject properties)
    {
        ArgumentNullException.ThrowIfNull(scope);
        DateTimeOffset now = clock.GetUtcNow();
        lock (gate)
        {
            string key = Key(scope, name);
            bool created = !datastores.TryGetValue(key, out Datastore? existing);
            datastores[key] = new Datastore(name, containerName, properties, existing?.Created ?? now, now);
            return created;
        }
    }

    public BlobContainerClient Container(Datastore datastore)
    {
        ArgumentNullException.ThrowIfNull(datastore);
        return Service.GetBlobContainerClient(datastore.ContainerName);
    }

    /// <summary>The datastore of a workspace that maps to this container (for https URIs), if any.</summary>
    public string? NameOfContainer(WorkspaceScope scope, string container) =>
        List(scope).FirstOrDefault(d => string.Equals(d.ContainerName, container, StringComparison.Ordinal))?.Name;

    Datastore AddDefault(WorkspaceScope scope)
    {
        string key = Key(scope, DefaultName);
        if (!datastores.TryGetValue(key, out Datastore? existing))
        {
            DateTimeOffset now = clock.GetUtcNow();
            existing = new Datastore(DefaultName, options.DefaultBlobContainer, new JsonObject
            {
                ["datastoreType"] = "AzureBlob",
                ["accountName"] = Service.AccountName,
                ["containerName"] = options.DefaultBlobContainer,
                ["endpoint"] = "core.windows.net",
                ["protocol"] = "https",
                ["credentials"] = new JsonObject { ["credentialsType"] = "AccountKey" },
                ["isDefault"] = true,
            }, now, now);
            datastores[key] = existing;
        }

        return existing;
    }

    static bool IsDefault(string name) => string.Equals(name, DefaultName, StringComparison.OrdinalIgnoreCase);

    // Datastore names are matched case-insensitively (they are lower-case in practice).
    static string Key(WorkspaceScope scope, string name) => scope.ChildKey("DATASTORES/" + name.ToUpperInvariant());
}
