using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>The pinned Bicep CLI builds and lints main.bicep cleanly; the sources keep to the conventions.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class MainBicepCliTests(MainTemplateFixture fixture)
{
    [Fact]
    public void Build_MainTemplate_ExitsZeroWithoutWarningsOrErrors()
    {
        Assert.True(fixture.Build.ExitCode == 0, fixture.Build.StandardError);
        Assert.Empty(fixture.Build.Diagnostics);
        Assert.Equal(string.Empty, fixture.Build.StandardError.Trim());
    }

    [Fact]
    public void Lint_MainTemplate_ExitsZeroWithoutWarningsOrErrors()
    {
        Assert.True(fixture.Lint.ExitCode == 0, fixture.Lint.StandardError + fixture.Lint.StandardOutput);
        Assert.Empty(fixture.Lint.Diagnostics);
        Assert.Equal(string.Empty, (fixture.Lint.StandardOutput + fixture.Lint.StandardError).Trim());
    }

    [Fact]
    public void Sources_Modules_AreLocalOnly()
    {
        // Registry modules need the internet; every module must resolve from bicep/modules.
        foreach (var file in BicepSources())
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("'br/", text, StringComparison.Ordinal);
            Assert.DoesNotContain("'br:", text, StringComparison.Ordinal);
            Assert.DoesNotContain("'ts:", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Sources_RoleAssignments_LiveOnlyInRbacModule()
    {
        var declaring = BicepSources()
            .Where(file => File.ReadAllText(file).Contains("Microsoft.Authorization/roleAssignments@", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(fixture.RepositoryRoot, file).Replace('\\', '/'))
            .ToList();

        Assert.Equal(["bicep/modules/rbac.bicep"], declaring);
    }

    [Fact]
    public void ParametersFile_EveryValue_MatchesADeclaredParameter()
    {
        var file = Path.Combine(fixture.RepositoryRoot, "bicep", "main.parameters.json");
        var values = JsonNode.Parse(File.ReadAllText(file))!["parameters"]!.AsObject();
        var declared = fixture.Template.Parameters;

        Assert.NotEmpty(values);
        Assert.All(values, pair => Assert.True(declared.ContainsKey(pair.Key), $"main.parameters.json sets undeclared '{pair.Key}'."));
        var required = declared.Where(pair => pair.Value["defaultValue"] is null).Select(pair => pair.Key);
        Assert.All(required, name => Assert.True(values.ContainsKey(name), $"main.parameters.json lacks required '{name}'."));
    }

    [Fact]
    public void Abbreviations_EveryPrefix_IsUsedByMainTemplate()
    {
        var abbreviations = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "bicep", "abbreviations.json")))!.AsObject();
        var main = File.ReadAllText(fixture.MainBicepPath);

        Assert.All(abbreviations, pair => Assert.Contains($"abbrs.{pair.Key}", main, StringComparison.Ordinal));
    }

    private IEnumerable<string> BicepSources() =>
        Directory.EnumerateFiles(Path.Combine(fixture.RepositoryRoot, "bicep"), "*.bicep", SearchOption.AllDirectories);
}
