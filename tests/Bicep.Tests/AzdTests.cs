using System.Diagnostics;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>`azd up` has what it needs: azure.yaml, parameters from the azd environment, hooks that parse, and a
/// README that says how and what each output feeds.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class AzdTests(MainTemplateFixture fixture)
{
    [Fact]
    public void AzureYaml_ProvisionsBicepMainAndDeploysTheFunctionsProject()
    {
        string yaml = File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "azure.yaml"));

        Assert.Contains("infra:\n  provider: bicep\n  path: bicep\n  module: main\n", yaml, StringComparison.Ordinal);
        Assert.Contains("services:\n  functions:\n    project: ./functions\n    language: dotnet\n    host: function\n", yaml, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(fixture.RepositoryRoot, "functions", "GenAiServerless.Functions.csproj")));
        // The service name is how azd finds the app: the site carries the matching azd-service-name tag.
        Assert.Contains("'azd-service-name': 'functions'", File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "bicep", "modules", "functions.bicep")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postprovision", "bicep/hooks/postprovision.sh")]
    [InlineData("postdeploy", "bicep/hooks/postdeploy.sh")]
    public void AzureYaml_Hooks_PointAtScriptsThatParse(string hook, string script)
    {
        string yaml = File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "azure.yaml"));

        Assert.Contains($"  {hook}:\n    posix:\n      shell: sh\n      run: {script}\n", yaml, StringComparison.Ordinal);
        Assert.Equal(string.Empty, ShellSyntaxErrors(Path.Combine(fixture.RepositoryRoot, script)));
        Assert.Equal(string.Empty, ShellSyntaxErrors(Path.Combine(fixture.RepositoryRoot, "bicep", "hooks", "blob-events.sh")));
    }

    [Fact]
    public void ParametersFile_TakesNameLocationAndPrincipalFromAzd()
    {
        JsonNode parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "bicep", "main.parameters.json")))!["parameters"]!;

        Assert.Equal("${AZURE_ENV_NAME}", parameters["environmentName"]!["value"]!.GetValue<string>());
        Assert.Equal("${AZURE_LOCATION}", parameters["location"]!["value"]!.GetValue<string>());
        Assert.Equal("${AZURE_PRINCIPAL_ID}", parameters["principalId"]!["value"]!.GetValue<string>());
        Assert.Equal("${GENAI_PRIVATE_NETWORKING=false}", parameters["privateNetworking"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void ParametersFile_PrincipalType_ComesFromAzdAndReachesTheDeveloperGrants()
    {
        JsonNode parameters = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "bicep", "main.parameters.json")))!["parameters"]!;
        JsonNode declared = fixture.Template.Json["parameters"]!["principalType"]!;

        // azd sets AZURE_PRINCIPAL_TYPE (ServicePrincipal when a pipeline logs in with one); a User-typed grant to a
        // service principal fails the role assignment, so the type must come from azd, User when it says nothing.
        Assert.Equal("${AZURE_PRINCIPAL_TYPE=User}", parameters["principalType"]!["value"]!.GetValue<string>());
        Assert.Equal(["User", "Group", "ServicePrincipal"], declared["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()));
        var developerGrants = fixture.Public.OfType("Microsoft.Authorization/roleAssignments")
            .Where(assignment => assignment["properties"]!["principalId"]!.GetValue<string>() == MainTemplateFixture.DeveloperPrincipalId)
            .ToList();
        Assert.NotEmpty(developerGrants);
        Assert.All(developerGrants, assignment => Assert.Equal("User", assignment["properties"]!["principalType"]!.GetValue<string>()));
    }

    [Fact]
    public void Readme_DeploySection_HasPrerequisitesAndEveryOutput()
    {
        string readme = File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "bicep", "README.md"));
        string deploy = readme[readme.IndexOf("## Deploy to Azure", StringComparison.Ordinal)..];

        Assert.Contains("azd up", deploy, StringComparison.Ordinal);
        Assert.Contains("Role Based Access Control Administrator", deploy, StringComparison.Ordinal);
        Assert.Contains("low-priority", deploy, StringComparison.Ordinal);
        Assert.All(fixture.Template.Outputs.Keys, output => Assert.Contains($"`{output}`", deploy, StringComparison.Ordinal));
        Assert.Contains("## Deploy to Azure", File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "README.md")), StringComparison.Ordinal);
    }

    /// <summary>`sh -n`: what azd runs the hooks with must at least parse them.</summary>
    private static string ShellSyntaxErrors(string script)
    {
        var start = new ProcessStartInfo("sh") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(script);
        using Process process = Process.Start(start)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? string.Empty : $"{script}: {errors}";
    }
}
