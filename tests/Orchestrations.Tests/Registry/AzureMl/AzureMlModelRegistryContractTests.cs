using System.Text.Json.Nodes;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Registry;
using GenAiServerless.Registry.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using static GenAiServerless.Tests.Orchestrations.Platform.AzureMl.ArmContract;

namespace GenAiServerless.Tests.Orchestrations.Registry.AzureMl;

/// <summary>The registry's mirror into Azure ML model assets: the exact PUTs of versions and stages.</summary>
public sealed class AzureMlModelRegistryContractTests
{
    static readonly ModelRegistration Registration = new("tinylm", "run-1", "tinylm-run-1-train-a2", "models/jobs/tinylm-run-1-train-a2/",
        "curated/tinylm/run-1/manifest.json", "ab12", new Dictionary<string, double> { ["test_perplexity"] = 41.25 });

    static (AzureMlModelRegistry Registry, InMemoryRegistry Inner, RecordingTransport Arm) Create()
    {
        var arm = new RecordingTransport();
        var inner = new InMemoryRegistry();
        return (new AzureMlModelRegistry(inner, Client(arm)), inner, arm);
    }

    /// <summary>An asset version as Azure ML returns it (read-only fields included), in Staging and in Production.</summary>
    const string Staged = """{"id":"x","name":"2","properties":{"modelUri":"azureml://datastores/registry/paths/tinylm/runs/run-2/files/","stage":"Staging","provisioningState":"Succeeded"},"systemData":{}}""";

    static readonly string Production = Staged.Replace("\"Staging\"", "\"Production\"", StringComparison.Ordinal);

    /// <summary>Versions 1 to <paramref name="versions"/> registered in the pipeline's registry, v1 its champion.</summary>
    static async Task<(AzureMlModelRegistry Registry, InMemoryRegistry Inner, RecordingTransport Arm)> WithChampionAsync(int versions)
    {
        (AzureMlModelRegistry registry, InMemoryRegistry inner, RecordingTransport arm) = Create();
        for (int run = 1; run <= versions; run++)
        {
            await inner.RegisterAsync(Registration with { RunId = $"run-{run}" }, DateTime.UtcNow, CancellationToken.None);
        }

        await inner.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 1), CancellationToken.None);
        return (registry, inner, arm);
    }

    [Fact]
    public async Task RegisterAsync_NewVersion_PutsAnAssetWithLineage()
    {
        (AzureMlModelRegistry registry, _, RecordingTransport arm) = Create();
        arm.Then(404, Error("ResourceNotFound", "none")).Then(201, "{}");

        ModelVersionInfo info = await registry.RegisterAsync(Registration, new DateTime(2026, 12, 5, 10, 0, 0, DateTimeKind.Utc), CancellationToken.None);

        Assert.Equal(1, info.Version);
        Assert.Equal(["GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/1?{ApiVersion}", arm.RequestUris[1]);
        JsonNode p = JsonNode.Parse(arm.Requests[1].Body!)!["properties"]!;
        Assert.Equal("azureml://datastores/registry/paths/tinylm/runs/run-1/files/", (string?)p["modelUri"]);
        Assert.Equal("custom_model", (string?)p["modelType"]);
        Assert.Equal("tinylm-run-1-train-a2", (string?)p["jobName"]);
        Assert.Equal("run-1", (string?)p["tags"]!["runId"]);
        Assert.Equal("ab12", (string?)p["tags"]!["dataManifestSha256"]);
        Assert.Equal("41.25", (string?)p["tags"]!["metric.test_perplexity"]);
        Assert.Equal("curated/tinylm/run-1/manifest.json", (string?)p["properties"]!["genai.dataManifest"]);
        Assert.Equal("2026-12-05T10:00:00.0000000Z", (string?)p["properties"]!["genai.createdUtc"]);
    }

    [Fact]
    public void VersionBody_SignedVersionWithGate_CarriesTheManifestHashSignerAndVerdict()
    {
        (AzureMlModelRegistry registry, _, _) = Create();
        var info = new ModelVersionInfo("tinylm", 3, "registry/tinylm/runs/run-3/files/", "run-3", "run-3-train-a1", "curated/m.json", "ab12", new Dictionary<string, double>(), DateTime.UnixEpoch,
            [new RegisteredFile("model.json", 10, new string('a', 64))], new ModelLineage("run-3-eval-a1", 2, "ngram", null, "T4", "promote", null),
            new GenAiServerless.Registry.Signing.ManifestSignature("PS256", "https://kv.vault.azure.net/keys/manifest-signing/v1", "sig", new string('b', 64), DateTime.UnixEpoch));

        JsonNode p = registry.VersionBody(info)["properties"]!;

        // The asset says where its files' signed manifest is checked: the manifest's hash and the key version.
        Assert.Equal(new string('b', 64), (string?)p["properties"]!["genai.manifestSha256"]);
        Assert.Equal("https://kv.vault.azure.net/keys/manifest-signing/v1", (string?)p["properties"]!["genai.signatureKeyId"]);
        Assert.Equal("2", (string?)p["properties"]!["genai.comparedWithVersion"]);
        Assert.Equal("promote", (string?)p["tags"]!["gate"]);
    }

    [Fact]
    public async Task ListModelsAsync_ReadsThePipelinesRegistry_CallsNoArm()
    {
        (AzureMlModelRegistry registry, InMemoryRegistry inner, RecordingTransport arm) = Create();
        await inner.RegisterAsync(Registration, DateTime.UtcNow, CancellationToken.None);
        await inner.RegisterAsync(Registration with { Model = "chat" }, DateTime.UtcNow, CancellationToken.None);

        IReadOnlyList<string> models = await registry.ListModelsAsync(CancellationToken.None);

        Assert.Equal(["chat", "tinylm"], models);
        Assert.Empty(arm.Methods);
    }

    [Fact]
    public async Task RegisterAsync_AssetExists_PutsNothing()
    {
        (AzureMlModelRegistry registry, _, RecordingTransport arm) = Create();
        arm.Then(200, "{\"properties\":{}}");

        await registry.RegisterAsync(Registration, DateTime.UtcNow, CancellationToken.None);

        Assert.Equal(["GET"], arm.Methods);
    }

    [Fact]
    public async Task SetAliasAsync_NewChampion_PromotesItAndArchivesTheOldOne()
    {
        (AzureMlModelRegistry registry, InMemoryRegistry inner, RecordingTransport arm) = await WithChampionAsync(versions: 2);
        arm.Then(200, Staged).Then(200, Staged).Then(200, "{}").Then(200, Production).Then(200, Production).Then(200, "{}");

        await registry.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 2), CancellationToken.None);

        Assert.Equal(["GET", "GET", "PUT", "GET", "GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/2?{ApiVersion}", arm.RequestUris[2]);
        JsonNode promoted = JsonNode.Parse(arm.Requests[2].Body!)!;
        Assert.Equal("Production", (string?)promoted["properties"]!["stage"]);
        Assert.Null(promoted["properties"]!["provisioningState"]);
        Assert.Null(promoted["id"]);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/1?{ApiVersion}", arm.RequestUris[5]);
        Assert.Equal("Archived", (string?)JsonNode.Parse(arm.Requests[5].Body!)!["properties"]!["stage"]);
        Assert.Equal(2, (await inner.GetAliasAsync("tinylm", ModelAliases.Champion, CancellationToken.None))!.Version);
    }

    [Fact]
    public async Task SetAliasAsync_RetriedAfterTheMoveButBeforeTheArchive_ArchivesTheReplacedChampion()
    {
        (AzureMlModelRegistry registry, InMemoryRegistry inner, RecordingTransport arm) = await WithChampionAsync(versions: 2);

        // The first attempt moves the alias in the registry, then Azure ML fails the promotion's PUT.
        arm.Then(200, Staged).Then(200, Staged).Then(400, Error("BadRequest", "try again"));
        await Assert.ThrowsAnyAsync<Azure.RequestFailedException>(() => registry.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 2), CancellationToken.None));
        Assert.Equal(2, (await inner.GetAliasAsync("tinylm", ModelAliases.Champion, CancellationToken.None))!.Version);

        // The retry finds the alias moved already; v1, the champion the move replaced, must still be archived.
        arm.Then(200, Staged).Then(200, Staged).Then(200, "{}").Then(200, Production).Then(200, Production).Then(200, "{}");
        await registry.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 2), CancellationToken.None);

        Assert.Equal(["GET", "GET", "PUT", "GET", "GET", "PUT", "GET", "GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/1?{ApiVersion}", arm.RequestUris[8]);
        Assert.Equal("Archived", (string?)JsonNode.Parse(arm.Requests[8].Body!)!["properties"]!["stage"]);
    }

    [Fact]
    public async Task SetAliasAsync_AnotherChampionMovedInBetween_ArchivesTheOneThisMoveReplaced()
    {
        (AzureMlModelRegistry registry, InMemoryRegistry inner, RecordingTransport arm) = await WithChampionAsync(versions: 3);

        // A concurrent promotion of v3 lands between this call's read of the champion and its own move.
        inner.BeforeNextMove = () => inner.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 3), CancellationToken.None);
        arm.Then(200, Staged).Then(200, Staged).Then(200, "{}").Then(200, Production).Then(200, Production).Then(200, "{}");

        await registry.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 2), CancellationToken.None);

        // The registry's move replaced v3, so v3 leaves Production (v1 was replaced, and archived, by v3's own move).
        Assert.Equal(["GET", "GET", "PUT", "GET", "GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/3?{ApiVersion}", arm.RequestUris[5]);
        Assert.Equal("Archived", (string?)JsonNode.Parse(arm.Requests[5].Body!)!["properties"]!["stage"]);
    }

    [Fact]
    public async Task RestoreAliasesAsync_RolledBackPromotion_ChampionBackInProductionRolledBackArchived()
    {
        (AzureMlModelRegistry registry, InMemoryRegistry inner, RecordingTransport arm) = await WithChampionAsync(versions: 2);
        await inner.SetAliasAsync(new AliasAssignment("tinylm", ModelAliases.Champion, 2), CancellationToken.None);
        string archived = Production.Replace("\"Production\"", "\"Archived\"", StringComparison.Ordinal);
        arm.Then(200, archived).Then(200, archived).Then(200, "{}").Then(200, Production).Then(200, Production).Then(200, "{}");

        await registry.RestoreAliasesAsync(new AliasRestore("tinylm", 2, 1, null, "rollout"), CancellationToken.None);

        Assert.Equal(["GET", "GET", "PUT", "GET", "GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/1?{ApiVersion}", arm.RequestUris[2]);
        Assert.Equal("Production", (string?)JsonNode.Parse(arm.Requests[2].Body!)!["properties"]!["stage"]);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/2?{ApiVersion}", arm.RequestUris[5]);
        Assert.Equal("Archived", (string?)JsonNode.Parse(arm.Requests[5].Body!)!["properties"]!["stage"]);
        ModelAliasState state = await inner.GetAliasesAsync("tinylm", CancellationToken.None);
        Assert.Equal(1, state.Aliases[ModelAliases.Champion].Version);
        Assert.Empty(state.For(2));
    }

    /// <summary>The pipeline's registry, in memory: versions numbered from 1, aliases moved as the blob registry moves
    /// them (with <c>previous</c> and the history).</summary>
    sealed class InMemoryRegistry : IModelRegistry
    {
        readonly List<ModelVersionInfo> versions = [];
        ModelAliasState aliases = ModelAliasState.Empty;

        /// <summary>Runs once, inside the next move, before the move itself (a concurrent writer).</summary>
        public Func<Task>? BeforeNextMove { get; set; }

        public Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken)
        {
            var info = new ModelVersionInfo(registration.Model, versions.Count + 1, $"registry/{registration.Model}/runs/{registration.RunId}/files/", registration.RunId,
                registration.JobId, registration.DataManifestBlob, registration.DataManifestSha256, registration.Metrics, createdUtc);
            versions.Add(info);
            return Task.FromResult(info);
        }

        public async Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken)
        {
            if (BeforeNextMove is { } concurrent)
            {
                BeforeNextMove = null;
                await concurrent();
            }

            if (!aliases.Aliases.TryGetValue(assignment.Alias, out AliasPointer? current) || current.Version != assignment.Version)
            {
                aliases = aliases.After(assignment, DateTime.UtcNow);
            }
        }

        public Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken)
        {
            aliases = aliases.Restored(restore, DateTime.UtcNow);
            return Task.CompletedTask;
        }

        public Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken) =>
            Task.FromResult(versions.FirstOrDefault(v => v.Version == version));

        public Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken) =>
            Task.FromResult(aliases.Aliases.TryGetValue(aliasName, out AliasPointer? p) ? versions.FirstOrDefault(x => x.Version == p.Version) : null);

        public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ModelVersionInfo>>(versions);

        public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) =>
            Task.FromResult(aliases);

        public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>(versions.Select(v => v.Model).Distinct().Order(StringComparer.Ordinal).ToList());
    }
}
