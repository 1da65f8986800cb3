using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>Builds and lints <c>bicep/main.bicep</c> and <c>bicep/modules/blob-events.bicep</c>, and snapshots a
/// deployment of main.bicep with private networking off and on, once for every test (the CLI calls in parallel).</summary>
/// <remarks>Why snapshots: <c>privateNetworking</c> is a deployment parameter, so the compiled template holds both
/// shapes behind ARM conditions. <c>bicep snapshot</c> evaluates the template for given parameters, offline, the way
/// ARM would (conditions, loops, names, scopes), which tests each shape as deployed rather than re-implementing ARM's
/// expression language in the tests.</remarks>
public sealed class MainTemplateFixture : IAsyncLifetime
{
    /// <summary>The subscription, resource group, tenant and region the snapshots pretend to deploy to.</summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-00000000a001";
    public const string ResourceGroup = "rg-genai-test";
    public const string TenantId = "00000000-0000-0000-0000-00000000a002";
    public const string Location = "eastus";

    /// <summary>The API's app registration the snapshots pass as <c>apiClientId</c>.</summary>
    public const string ApiClientId = "0a0a0a0a-1b1b-2c2c-3d3d-4e4e4e4e4e4e";

    /// <summary>The developer principal the snapshots pass as <c>principalId</c>.</summary>
    public const string DeveloperPrincipalId = "11111111-1111-1111-1111-111111111111";

    private string? scratch;

    /// <summary>The repository root (the folder holding GenAiServerless.sln or global.json).</summary>
    public string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Path of <c>bicep/main.bicep</c>.</summary>
    public string MainBicepPath => Path.Combine(RepositoryRoot, "bicep", "main.bicep");

    internal CliResult Build { get; private set; } = null!;

    internal CliResult Lint { get; private set; } = null!;

    /// <summary>Path of <c>bicep/modules/blob-events.bicep</c>, which the azd postdeploy hook deploys.</summary>
    public string BlobEventsBicepPath => Path.Combine(RepositoryRoot, "bicep", "modules", "blob-events.bicep");

    internal CliResult BlobEventsBuild { get; private set; } = null!;

    internal CliResult BlobEventsLint { get; private set; } = null!;

    /// <summary>The compiled ARM template.</summary>
    internal ArmTemplate Template { get; private set; } = null!;

    /// <summary>The compiled blob-events module.</summary>
    internal ArmTemplate BlobEvents { get; private set; } = null!;

    /// <summary>The deployment as predicted with the default <c>privateNetworking = false</c>.</summary>
    internal DeploymentSnapshot Public { get; private set; } = null!;

    /// <summary>The deployment as predicted with <c>privateNetworking = true</c>.</summary>
    internal DeploymentSnapshot Private { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var cli = BicepCli.Locate();
        scratch = Directory.CreateTempSubdirectory("bicep-tests-").FullName;
        var build = cli.RunAsync(RepositoryRoot, "build", MainBicepPath, "--stdout");
        var lint = cli.RunAsync(RepositoryRoot, "lint", MainBicepPath);
        var blobEventsBuild = cli.RunAsync(RepositoryRoot, "build", BlobEventsBicepPath, "--stdout");
        var blobEventsLint = cli.RunAsync(RepositoryRoot, "lint", BlobEventsBicepPath);
        var publicSnapshot = SnapshotAsync(cli, "public", privateNetworking: false);
        var privateSnapshot = SnapshotAsync(cli, "private", privateNetworking: true);
        Build = await build;
        Lint = await lint;
        BlobEventsBuild = await blobEventsBuild;
        BlobEventsLint = await blobEventsLint;
        Template = Build.ExitCode == 0
            ? new ArmTemplate(JsonNode.Parse(Build.StandardOutput)!.AsObject(), ModuleName: null)
            : throw new InvalidOperationException($"bicep build failed ({Build.ExitCode}):\n{Build.StandardError}");
        BlobEvents = BlobEventsBuild.ExitCode == 0
            ? new ArmTemplate(JsonNode.Parse(BlobEventsBuild.StandardOutput)!.AsObject(), ModuleName: "blob-events")
            : throw new InvalidOperationException($"bicep build of blob-events failed ({BlobEventsBuild.ExitCode}):\n{BlobEventsBuild.StandardError}");
        Public = await publicSnapshot;
        Private = await privateSnapshot;
    }

    public Task DisposeAsync()
    {
        if (scratch is not null)
        {
            Directory.Delete(scratch, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>Writes a .bicepparam for main.bicep into the scratch folder (the CLI wants a relative <c>using</c> path and
    /// writes the snapshot beside it) and snapshots it.</summary>
    private async Task<DeploymentSnapshot> SnapshotAsync(BicepCli cli, string name, bool privateNetworking)
    {
        string parameters = Path.Combine(scratch!, $"{name}.bicepparam");
        string main = Path.GetRelativePath(scratch!, MainBicepPath).Replace('\\', '/');
        await File.WriteAllTextAsync(parameters, $"""
            using '{main}'
            param environmentName = 'genai-test'
            param location = '{Location}'
            param principalId = '{DeveloperPrincipalId}'
            param privateNetworking = {(privateNetworking ? "true" : "false")}
            param budgetStartDate = '2026-01-01'
            param apiClientId = '{ApiClientId}'
            """);
        CliResult result = await cli.RunAsync(
            scratch!, "snapshot", parameters,
            "--subscription-id", SubscriptionId, "--resource-group", ResourceGroup, "--tenant-id", TenantId, "--location", Location);
        string snapshot = Path.Combine(scratch!, $"{name}.snapshot.json");
        return result.ExitCode == 0 && File.Exists(snapshot)
            ? new DeploymentSnapshot(JsonNode.Parse(await File.ReadAllTextAsync(snapshot))!.AsObject())
            : throw new InvalidOperationException($"bicep snapshot ({name}) failed ({result.ExitCode}):\n{result.StandardError}{result.StandardOutput}");
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "GenAiServerless.sln"))
                || File.Exists(Path.Combine(directory.FullName, "global.json")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException(
            $"No folder above {AppContext.BaseDirectory} holds GenAiServerless.sln or global.json.");
    }
}

/// <summary>Shares one <see cref="MainTemplateFixture"/> across the test classes.</summary>
[CollectionDefinition(Name)]
public sealed class MainTemplateCollectionDefinition : ICollectionFixture<MainTemplateFixture>
{
    public const string Name = "main.bicep";
}
