using System.Diagnostics;
using System.Text.Json;
using GenAiServerless.Evaluation;
using GenAiServerless.Registry;

namespace GenAiServerless.Tests.Local.Registry;

/// <summary><c>genai models list|show|alias</c> as a user runs them (the built <c>genai</c>, a separate process) against
/// a registry on Azurite, verifying with the home's key ring.</summary>
public sealed class ModelsCommandsTests(RegistryOnAzurite azurite) : IClassFixture<RegistryOnAzurite>
{
    static readonly GateDecision Gate = new(true, GateRules.Promote, new ModelScores(2.5, 2.4, 50, 5000, 12, 20), 1,
        new ModelScores(2.6, 2.5, 50, 5000, 11, 20), new PairedComparison(50, 2.4, 2.5, -0.04, -0.06, -0.01, 0.95, 200, 7),
        new SafetyResult(20, 0, 0, 0, []), new EvaluationPolicy(3, 0.05, 0, null, PromotionRule.NotWorse, 0.01, 0.95, 200, false, TimeSpan.FromMinutes(5)),
        ["test 2.5 bits/byte ≤ 3", "better than v1"], "alice");

    Task<(int Exit, string Out, string Err)> GenaiAsync(params string[] args) => RunGenaiAsync([.. args, "--home", azurite.Home, "--storage", azurite.ConnectionString]);

    static async Task<(int Exit, string Out, string Err)> RunGenaiAsync(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "genai.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Models_ListShowAlias_ShowTheRegistryAndMoveAliasesWithHistory()
    {
        string model = RegistryOnAzurite.NewModel("cli");
        await azurite.RegisterAsync(model, "r1");
        ModelVersionInfo v2 = await azurite.RegisterAsync(model, "r2", lineage: new ModelLineage("r2-eval-a1", 1, "ngram", new Dictionary<string, string> { ["order"] = "3" }, "T4 in eastus (spot)", Gate.Verdict, JsonSerializer.SerializeToElement(Gate, JsonSerializerOptions.Web)));

        (int exit, string output, string error) = await GenaiAsync("models", "alias", model, "champion", "1", "--by", "bob", "--reason", "first");
        Assert.True(exit == 0, error);
        (exit, output, error) = await GenaiAsync("models", "alias", model, "champion", "v2", "--by", "alice", "--reason", "better");
        Assert.True(exit == 0, error);
        Assert.Contains($"{model}: champion → v2 (previous → v1)", output, StringComparison.Ordinal);

        // list: the model with its aliases; list <model>: each version with its verdict and signer.
        (exit, output, _) = await GenaiAsync("models", "list", "--json");
        Assert.Equal(0, exit);
        JsonElement listed = JsonDocument.Parse(output).RootElement.EnumerateArray().Single(m => m.GetProperty("model").GetString() == model);
        Assert.Equal(2, listed.GetProperty("versions").GetInt32());
        Assert.Equal(2, listed.GetProperty("aliases").GetProperty("champion").GetInt32());
        Assert.Equal(1, listed.GetProperty("aliases").GetProperty("previous").GetInt32());
        (exit, output, _) = await GenaiAsync("models", "list", model);
        Assert.Equal(0, exit);
        Assert.True(output.Contains("promote", StringComparison.Ordinal) && output.Contains("local/manifest-signing/", StringComparison.Ordinal), output);

        // show (the champion by default): files with hashes, lineage, the decision record, aliases, a verified signature.
        (exit, output, error) = await GenaiAsync("models", "show", model);
        Assert.True(exit == 0, error);
        Assert.Contains($"{model} v2 (champion)", output, StringComparison.Ordinal);
        Assert.Contains(v2.Files!.Single(f => f.Path == "model.json").Sha256, output, StringComparison.Ordinal);
        Assert.Contains("verdict: promote (passed), approved by alice", output, StringComparison.Ordinal);
        Assert.Contains("paired difference on 50 examples: -4.00% [-6.00%, -1.00%] at 95%", output, StringComparison.Ordinal);
        Assert.Contains("v1 (the champion at the gate)", output, StringComparison.Ordinal);
        Assert.Contains($"PS256 by {v2.Signature!.KeyId}", output, StringComparison.Ordinal);
        Assert.Contains("verified: ", output, StringComparison.Ordinal);
        Assert.Contains("champion: v1 → v2 by alice (better)", output, StringComparison.Ordinal);

        (exit, output, _) = await GenaiAsync("models", "show", model, "previous", "--json");
        Assert.Equal(0, exit);
        using JsonDocument previous = JsonDocument.Parse(output);
        Assert.Equal(1, previous.RootElement.GetProperty("version").GetProperty("version").GetInt32());
        Assert.True(previous.RootElement.GetProperty("verification").GetProperty("verified").GetBoolean());
        Assert.Equal(["previous"], previous.RootElement.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Models_ListWithOneUnreadableModel_ListsTheOthersAndSaysWhy()
    {
        string good = RegistryOnAzurite.NewModel("cli");
        await azurite.RegisterAsync(good, "r1");
        string broken = RegistryOnAzurite.NewModel("cli");
        var registry = new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(GenAiServerless.Platform.PipelineStorage.Registry);
        await registry.GetBlobClient($"{broken}/versions/000001/version.json").UploadAsync(BinaryData.FromString("{ not json"), overwrite: true);

        (int exit, string output, string error) = await GenaiAsync("models", "list", "--json");

        Assert.True(exit == 0, error);
        JsonElement[] rows = [.. JsonDocument.Parse(output).RootElement.EnumerateArray()];
        Assert.Equal(1, rows.Single(m => m.GetProperty("model").GetString() == good).GetProperty("versions").GetInt32());
        Assert.StartsWith("unreadable: ", rows.Single(m => m.GetProperty("model").GetString() == broken).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_TamperedFile_ShowSaysNotVerifiedNamingTheFile()
    {
        string model = RegistryOnAzurite.NewModel("cli");
        ModelVersionInfo v1 = await azurite.RegisterAsync(model, "r1");
        await azurite.File(v1, "model.json").UploadAsync(BinaryData.FromString("{\"run\":\"r9\"}"), overwrite: true);

        (int exit, string output, string error) = await GenaiAsync("models", "show", model, "--version", "1");

        Assert.True(exit == 0, error);
        Assert.Contains("NOT verified", output, StringComparison.Ordinal);
        Assert.Contains("file model.json changed", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("alias|{model}|champion|7", "no such version")]
    [InlineData("alias|{model}|champion|seven", "'seven' is not a version number")]
    [InlineData("alias|{model}|Bad_Alias|1", "not a valid alias name")]
    [InlineData("show|{model}|9", "has no version 9")]
    [InlineData("show|{model}|nightly", "has no alias 'nightly'")]
    [InlineData("list|nothing-here", "no versions of model 'nothing-here'")]
    public async Task Models_BadInput_FailsWithAClearMessage(string args, string expected)
    {
        string model = RegistryOnAzurite.NewModel("cli");
        await azurite.RegisterAsync(model, "r1");

        (int exit, string output, string error) = await GenaiAsync(["models", .. args.Replace("{model}", model, StringComparison.Ordinal).Split('|')]);

        Assert.NotEqual(0, exit);
        Assert.Contains(expected, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output + error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99999999d")]
    [InlineData("2147483647h")]
    [InlineData("31d")]
    public async Task Token_ValidForTooLong_RefusedWithTheOptionNamed(string validFor)
    {
        string home = Path.Combine(Path.GetTempPath(), $"genai-token-{Guid.NewGuid():N}");

        (int exit, string output, string error) = await RunGenaiAsync(["token", "--role", "reader", "--valid-for", validFor, "--home", home]);

        Assert.NotEqual(0, exit);
        Assert.Contains($"--valid-for '{validFor}'", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_NoRunningStack_SaysHowToStartOne()
    {
        string home = Path.Combine(Path.GetTempPath(), $"genai-nostack-{Guid.NewGuid():N}");

        (int exit, string output, string error) = await RunGenaiAsync(["models", "list", "--home", home]);

        Assert.Equal(1, exit);
        Assert.Contains("no running stack found", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal); // a message, not a stack trace
    }
}
