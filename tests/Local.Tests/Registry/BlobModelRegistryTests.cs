using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using GenAiServerless.Evaluation;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Registry.Signing;

namespace GenAiServerless.Tests.Local.Registry;

/// <summary>The blob registry on Azurite: files copied once with their SHA-256, version numbers claimed with
/// conditional creates, manifests signed, aliases moved with ETag checks and a history.</summary>
public sealed class BlobModelRegistryTests(RegistryOnAzurite azurite) : IClassFixture<RegistryOnAzurite>
{
    BlobModelRegistry Registry => azurite.Registry;

    static readonly GateDecision Gate = new(true, GateRules.Promote, new ModelScores(2.5, 2.4, 50, 5000, 12, 20), 3, null, null,
        new SafetyResult(20, 0, 0, 0, []), new EvaluationPolicy(3, 0.05, 0, null, PromotionRule.NotWorse, 0.01, 0.95, 200, false, TimeSpan.FromMinutes(5)),
        ["test 2.5 bits/byte ≤ 3"], "alice");

    [Fact]
    public async Task RegisterAsync_NewRun_CopiesEveryFileWithItsSha256AndSignsTheManifest()
    {
        string model = RegistryOnAzurite.NewModel("reg");
        var lineage = new ModelLineage("r1-eval-a1", 3, "ngram", new Dictionary<string, string> { ["order"] = "3" }, "Standard_NC4as_T4_v3 in eastus (spot)", Gate.Verdict,
            JsonSerializer.SerializeToElement(Gate, JsonSerializerOptions.Web));

        ModelVersionInfo v1 = await azurite.RegisterAsync(model, "r1", lineage: lineage);

        Assert.Equal(1, v1.Version);
        Assert.Equal($"{PipelineStorage.Registry}/{model}/runs/r1/files/", v1.FilesPrefix);
        Assert.Equal(["model.json", "vocab/words.txt"], v1.Files!.Select(f => f.Path));
        foreach (RegisteredFile file in v1.Files!)
        {
            byte[] content = (await azurite.File(v1, file.Path).DownloadContentAsync()).Value.Content.ToArray();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), file.Sha256);
            Assert.Equal(content.Length, file.Bytes);
        }

        // The stored record carries the lineage and the gate's decision record, and its signature verifies.
        ModelVersionInfo stored = (await Registry.GetVersionAsync(model, 1, CancellationToken.None))!;
        GateDecision decision = stored.Lineage!.Gate!.Value.Deserialize<GateDecision>(JsonSerializerOptions.Web)!;
        Assert.Equal("alice", decision.Approver);
        Assert.Equal(["test 2.5 bits/byte ≤ 3"], decision.Reasons);
        Assert.Equal(GateRules.Promote, stored.Lineage.GateVerdict);
        Assert.Equal(3, stored.Lineage.ComparedWithVersion);
        Assert.Equal("3", stored.Lineage.Hyperparameters!["order"]);
        Assert.Equal(Ps256.Algorithm, stored.Signature!.Algorithm);
        Assert.StartsWith("local/manifest-signing/", stored.Signature.KeyId, StringComparison.Ordinal);
        VersionVerification check = await azurite.Verifier.VerifyAsync(new ModelVersionCheck(model, 1, v1.FilesPrefix), CancellationToken.None);
        Assert.True(check.Verified, check.Detail);
    }

    [Fact]
    public async Task RegisterAsync_SameRunAgain_ReturnsItsVersionAndNeverOverwritesTheFiles()
    {
        string model = RegistryOnAzurite.NewModel("reg");
        ModelVersionInfo first = await azurite.RegisterAsync(model, "r1");

        // The run's outputs change (a rerun of the job), the registration is retried: the version stays as it was.
        ModelVersionInfo again = await azurite.RegisterAsync(model, "r1", new Dictionary<string, string> { ["model.json"] = "{\"other\":true}" });

        Assert.Equal(first.Version, again.Version);
        Assert.Equal(first.Files, again.Files);
        Assert.Equal(first.Signature, again.Signature);
        Assert.Equal("{\"run\":\"r1\"}", (await azurite.File(first, "model.json").DownloadContentAsync()).Value.Content.ToString());
        Assert.Single(await Registry.ListVersionsAsync(model, CancellationToken.None));
    }

    [Fact]
    public async Task RegisterAsync_FileRegisteredWithOtherContent_FailsInsteadOfOverwriting()
    {
        string model = RegistryOnAzurite.NewModel("reg");
        await azurite.Storage.Container(PipelineStorage.Registry).GetBlobClient($"{model}/runs/r1/files/model.json").UploadAsync(BinaryData.FromString("squatter"));

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => azurite.RegisterAsync(model, "r1"));

        Assert.Contains($"registry/{model}/runs/r1/files/model.json is registered already with other content", e.Message, StringComparison.Ordinal);
        Assert.Equal("squatter", (await azurite.Storage.Container(PipelineStorage.Registry).GetBlobClient($"{model}/runs/r1/files/model.json").DownloadContentAsync()).Value.Content.ToString());
    }

    [Fact]
    public async Task RegisterAsync_EightRunsAtOnce_EachClaimsItsOwnNumber()
    {
        string model = RegistryOnAzurite.NewModel("reg");

        ModelVersionInfo[] versions = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => azurite.RegisterAsync(model, $"r{i}"))));

        Assert.Equal(Enumerable.Range(1, 8), versions.Select(v => v.Version).Order());
        IReadOnlyList<ModelVersionInfo> listed = await Registry.ListVersionsAsync(model, CancellationToken.None);
        Assert.Equal(versions.Select(v => (v.Version, v.RunId)).Order(), listed.Select(v => (v.Version, v.RunId)));
        Assert.All(listed, v => Assert.NotNull(v.Signature));
    }

    [Fact]
    public async Task RegisterAsync_SameRunsRedeliveredAtOnce_OneVersionPerRun()
    {
        string model = RegistryOnAzurite.NewModel("reg");

        // Each run's registration delivered four times at once, as a re-delivered activity runs beside the first delivery.
        ModelVersionInfo[] versions = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => azurite.RegisterAsync(model, i % 2 == 0 ? "r1" : "r2"))));

        IReadOnlyList<ModelVersionInfo> listed = await Registry.ListVersionsAsync(model, CancellationToken.None);
        Assert.Equal(["r1", "r2"], listed.Select(v => v.RunId).Order(StringComparer.Ordinal));
        Assert.Equal([1, 2], listed.Select(v => v.Version));
        Assert.All(versions, v => Assert.Equal(listed.Single(l => l.RunId == v.RunId).Version, v.Version));
        Assert.All(versions, v => Assert.Equal(listed.Single(l => l.RunId == v.RunId).Signature, v.Signature));
    }

    [Fact]
    public async Task SetAliasAsync_ChampionMoves_PreviousTakesTheOldChampionAndTheHistorySaysWhoWhenWhy()
    {
        string model = RegistryOnAzurite.NewModel("alias");
        for (int i = 1; i <= 3; i++)
        {
            await azurite.RegisterAsync(model, $"r{i}");
        }

        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 1, "pipeline r1", "rolled out as deployment v1-a"), CancellationToken.None);
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 2, "alice", "rolled out as deployment v2-b"), CancellationToken.None);
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 2, "alice", "a retried activity"), CancellationToken.None);
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Challenger, 3, "pipeline r3", "promote"), CancellationToken.None);

        ModelAliasState state = await Registry.GetAliasesAsync(model, CancellationToken.None);
        Assert.Equal(2, state.Aliases[ModelAliases.Champion].Version);
        Assert.Equal(1, state.Aliases[ModelAliases.Previous].Version);
        Assert.Equal(3, state.Aliases[ModelAliases.Challenger].Version);
        Assert.Equal(1, (await Registry.GetAliasAsync(model, ModelAliases.Previous, CancellationToken.None))!.Version);
        Assert.Equal(
            [("champion", (int?)null, 1, "pipeline r1"), ("previous", null, 1, "alice"), ("champion", 1, 2, "alice"), ("challenger", null, 3, "pipeline r3")],
            state.History.Select(m => (m.Alias, m.From, m.To, m.By)));
        Assert.Equal("rolled out as deployment v2-b", state.History[2].Reason);
        Assert.Equal("v1 replaced as champion by v2", state.History[1].Reason);
        Assert.All(state.History, m => Assert.True(DateTime.UtcNow - m.Utc < TimeSpan.FromMinutes(5)));
        Assert.Equal([ModelAliases.Champion], state.For(2));
    }

    [Fact]
    public async Task SetAliasAsync_EightMovesAtOnce_NoneIsLostAndPreviousFollowsTheLastChampion()
    {
        string model = RegistryOnAzurite.NewModel("alias");
        for (int i = 1; i <= 8; i++)
        {
            await azurite.RegisterAsync(model, $"r{i}");
        }

        await Task.WhenAll(Enumerable.Range(1, 8).Select(v => Task.Run(() =>
            Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, v, $"user{v}", "race"), CancellationToken.None))));

        ModelAliasState state = await Registry.GetAliasesAsync(model, CancellationToken.None);
        AliasMove[] champion = [.. state.History.Where(m => m.Alias == ModelAliases.Champion)];
        Assert.Equal(Enumerable.Range(1, 8).Select(v => (int?)v), champion.Select(m => m.To).Order());
        // ETag checks: each move saw the one before it, so the chain of from → to is unbroken.
        Assert.Null(champion[0].From);
        for (int i = 1; i < champion.Length; i++)
        {
            Assert.Equal(champion[i - 1].To, champion[i].From);
        }

        Assert.Equal(champion[^1].To, state.Aliases[ModelAliases.Champion].Version);
        Assert.Equal(champion[^2].To, state.Aliases[ModelAliases.Previous].Version);
    }

    [Fact]
    public async Task RestoreAliasesAsync_RolledBackPromotion_ChampionAndPreviousAsBeforeAndTheVersionNoTarget()
    {
        string model = RegistryOnAzurite.NewModel("reg");
        foreach (int run in new[] { 1, 2, 3 })
        {
            await azurite.RegisterAsync(model, $"r{run}");
        }

        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 1), CancellationToken.None);
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 2), CancellationToken.None);
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 3, "rollout"), CancellationToken.None);
        var restore = new AliasRestore(model, 3, 2, 1, "rollout", "v3 rolled back");

        await Registry.RestoreAliasesAsync(restore, CancellationToken.None);
        await Registry.RestoreAliasesAsync(restore, CancellationToken.None);

        ModelAliasState state = await Registry.GetAliasesAsync(model, CancellationToken.None);
        Assert.Equal((2, 1), (state.Aliases[ModelAliases.Champion].Version, state.Aliases[ModelAliases.Previous].Version));
        Assert.Empty(state.For(3));
        Assert.Equal([(ModelAliases.Champion, (int?)3, (int?)2), (ModelAliases.Previous, 2, 1)],
            state.History.Where(m => m.Reason == "v3 rolled back").Select(m => (m.Alias, m.From, m.To)));
    }

    [Fact]
    public async Task RestoreAliasesAsync_FirstPromotionRolledBack_RemovesTheChampion()
    {
        string model = RegistryOnAzurite.NewModel("reg");
        await azurite.RegisterAsync(model, "r1");
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 1), CancellationToken.None);

        await Registry.RestoreAliasesAsync(new AliasRestore(model, 1, null, null), CancellationToken.None);

        ModelAliasState state = await Registry.GetAliasesAsync(model, CancellationToken.None);
        Assert.Empty(state.Aliases);
        Assert.Equal((1, null), (state.History[^1].From, state.History[^1].To));
        Assert.Null(await Registry.GetAliasAsync(model, ModelAliases.Champion, CancellationToken.None));
    }

    [Fact]
    public async Task SetAliasAsync_NoSuchVersionOrBadName_FailsSayingWhy()
    {
        string model = RegistryOnAzurite.NewModel("alias");
        await azurite.RegisterAsync(model, "r1");

        InvalidOperationException missing = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 9), CancellationToken.None));
        ArgumentException badName = await Assert.ThrowsAsync<ArgumentException>(() =>
            Registry.SetAliasAsync(new AliasAssignment(model, "Champion!", 1), CancellationToken.None));

        Assert.Contains("no such version", missing.Message, StringComparison.Ordinal);
        Assert.Contains("'Champion!' is not a valid alias name", badName.Message, StringComparison.Ordinal);
        Assert.Empty((await Registry.GetAliasesAsync(model, CancellationToken.None)).History);
    }

    [Fact]
    public async Task GetAliasAsync_RegistryFromBeforeTheHistory_ReadsTheOldAliasBlobs()
    {
        string model = RegistryOnAzurite.NewModel("legacy");
        await azurite.RegisterAsync(model, "r1");
        await azurite.Storage.Container(PipelineStorage.Registry).GetBlobClient($"{model}/aliases/champion.json")
            .UploadAsync(BinaryData.FromObjectAsJson(new AliasAssignment(model, ModelAliases.Champion, 1), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)));

        Assert.Equal(1, (await Registry.GetAliasAsync(model, ModelAliases.Champion, CancellationToken.None))!.Version);
        await azurite.RegisterAsync(model, "r2");
        await Registry.SetAliasAsync(new AliasAssignment(model, ModelAliases.Champion, 2, "bob", "upgrade"), CancellationToken.None);
        Assert.Equal(1, (await Registry.GetAliasAsync(model, ModelAliases.Previous, CancellationToken.None))!.Version);
    }
}
