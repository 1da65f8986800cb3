using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>Builds and lints <c>bicep/main.bicep</c> once (both CLI calls in parallel) for every test.</summary>
public sealed class MainTemplateFixture : IAsyncLifetime
{
    /// <summary>The repository root (the folder holding GenAiServerless.sln or global.json).</summary>
    public string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Path of <c>bicep/main.bicep</c>.</summary>
    public string MainBicepPath => Path.Combine(RepositoryRoot, "bicep", "main.bicep");

    internal CliResult Build { get; private set; } = null!;

    internal CliResult Lint { get; private set; } = null!;

    /// <summary>The compiled ARM template.</summary>
    internal ArmTemplate Template { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var cli = BicepCli.Locate();
        var build = cli.RunAsync(RepositoryRoot, "build", MainBicepPath, "--stdout");
        var lint = cli.RunAsync(RepositoryRoot, "lint", MainBicepPath);
        Build = await build;
        Lint = await lint;
        Template = Build.ExitCode == 0
            ? new ArmTemplate(JsonNode.Parse(Build.StandardOutput)!.AsObject(), ModuleName: null)
            : throw new InvalidOperationException($"bicep build failed ({Build.ExitCode}):\n{Build.StandardError}");
    }

    public Task DisposeAsync() => Task.CompletedTask;

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
