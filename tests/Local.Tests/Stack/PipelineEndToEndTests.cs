using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Api;
using GenAiServerless.Local.Demo;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Triggers;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>The whole chain on Azurite and the real durable engine: data drop → curation → spot training with an
/// injected eviction → evaluation gate → registry → rollout → a live endpoint answering.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class PipelineEndToEndTests(StackFixture fixture)
{
    async Task<(string BlobName, BlobContentInfo Info, long Length)> DropAsync(string name, string content)
    {
        string blobName = $"{StackFixture.Model}/{name}";
        BlobClient blob = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(content), overwrite: true)).Value;
        return (blobName, info, System.Text.Encoding.UTF8.GetByteCount(content));
    }

    [Fact]
    public async Task DataDrop_GoodAndBadRecords_RunsWholeChainToLiveEndpoint()
    {
        (string blobName, BlobContentInfo info, long length) = await DropAsync("e2e.jsonl", SampleCorpus.Generate(800, seed: 11));
        TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, blobName, info.ETag.ToString(), length, CancellationToken.None);
        Assert.Equal(TriggerOutcomeKind.Started, started.Kind);

        // The same drop again (a redelivered trigger) starts nothing.
        TriggerOutcome again = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, blobName, info.ETag.ToString(), length, CancellationToken.None);
        Assert.Equal(TriggerOutcomeKind.AlreadyStarted, again.Kind);
        Assert.Equal(started.InstanceId, again.InstanceId);

        PipelineStatusView view = await fixture.WaitForEndAsync(started.InstanceId!, TimeSpan.FromMinutes(3));
        PipelineResult result = StackFixture.ResultOf(view);
        Assert.True(result.Succeeded, result.Summary);
        Assert.All(result.Stages, s => Assert.Equal(StageState.Succeeded, s.State));

        // Data: the planted problems are quarantined with reasons, the duplicates dropped, the rest curated.
        Assert.NotNull(result.Data);
        Assert.Equal(3, result.Data!.RecordsQuarantined);
        Assert.Equal(1, result.Data.RejectReasons["invalid_json"]);
        Assert.Equal(1, result.Data.RejectReasons["missing_text"]);
        Assert.Equal(1, result.Data.RejectReasons["too_long"]);
        Assert.True(result.Data.ExactDuplicates >= 2);
        Assert.True(result.Data.NearDuplicates >= 1);
        BlobContainerClient curated = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Curated);
        string dropped = (await curated.GetBlobClient($"{StackFixture.Model}/{started.InstanceId}/dropped.jsonl").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("\"rule\":\"near_duplicate\"", dropped, StringComparison.Ordinal);
        Assert.Contains("\"id\":\"near-2\"", dropped, StringComparison.Ordinal);
        Assert.Contains("\"rule\":\"exact_duplicate\"", dropped, StringComparison.Ordinal);
        Assert.Equal(result.Data.RecordsCurated, result.Data.TrainRecords + result.Data.ValidationRecords + result.Data.TestRecords);
        BlobContainerClient quarantine = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Quarantine);
        string rejected = (await quarantine.GetBlobClient($"{StackFixture.Model}/{started.InstanceId}/records.jsonl").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("\"reason\":\"missing_text\"", rejected, StringComparison.Ordinal);
        Assert.Contains($"\"file\":\"incoming/{blobName}\"", rejected, StringComparison.Ordinal);
        Assert.Contains("this line was cut off", rejected, StringComparison.Ordinal); // the original bytes are kept

        // Training: the injected eviction cost one resubmission, resumed from the checkpoint.
        Assert.NotNull(result.Training);
        Assert.Equal(2, result.Training!.Attempts);
        Assert.Equal(1, result.Training.Evictions);
        Assert.EndsWith("-train-a2", result.Training.JobId, StringComparison.Ordinal);
        Assert.True(result.Training.Metrics["resumed_from_step"] > 0);
        Assert.True(result.Training.CostUsd < result.Training.OnDemandCostUsd);

        // Registry: an immutable version with lineage; champion points at it after the rollout.
        IModelRegistry registry = fixture.Stack.Services.GetRequiredService<IModelRegistry>();
        ModelVersionInfo? champion = await registry.GetAliasAsync(StackFixture.Model, "champion", CancellationToken.None);
        Assert.NotNull(champion);
        Assert.Equal(result.Version!.Version, champion!.Version);
        Assert.Equal(result.Data.ManifestSha256, champion.DataManifestSha256);
        Assert.Equal(result.Training.JobId, champion.JobId);
        Assert.True(champion.Metrics.ContainsKey("test_perplexity"));
        Assert.NotEmpty(champion.Files!);
        Assert.Equal(result.Gate!.Verdict, champion.Lineage!.GateVerdict);
        Assert.StartsWith("local/manifest-signing/", champion.Signature!.KeyId, StringComparison.Ordinal);

        // Rollout: the endpoint answers a prompt from the new deployment.
        Assert.True(result.Rollout!.Succeeded);
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiBase };
        using HttpResponseMessage response = await http.PostAsJsonAsync($"endpoints/{StackFixture.Model}/score", new { prompt = "the model" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(result.Rollout.Deployment, answer.RootElement.GetProperty("deployment").GetString());
        Assert.False(string.IsNullOrWhiteSpace(answer.RootElement.GetProperty("completion").GetString()));

        // The HTTP status route shows the run to a reader.
        using HttpClient reader = fixture.Stack.ApiClient("reader", ApiRole.Reader);
        using HttpResponseMessage status = await reader.GetAsync($"api/pipelines/{started.InstanceId}");
        Assert.True(status.IsSuccessStatusCode);
    }

    [Fact]
    public async Task SecondDrop_ChallengerAndChampionScoredOnTheSameEvalSet_PairedInTheGate()
    {
        async Task<PipelineResult> RunAsync(string name, int seed)
        {
            (string blobName, BlobContentInfo info, long length) = await DropAsync(name, SampleCorpus.Generate(400, seed));
            TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, blobName, info.ETag.ToString(), length, CancellationToken.None);
            return StackFixture.ResultOf(await fixture.WaitForEndAsync(started.InstanceId!, TimeSpan.FromMinutes(3)));
        }

        PipelineResult first = await RunAsync("gate-a.jsonl", 21);
        Assert.NotNull(first.Gate);
        IModelRegistry registry = fixture.Stack.Services.GetRequiredService<IModelRegistry>();
        ModelVersionInfo? champion = await registry.GetAliasAsync(StackFixture.Model, "champion", CancellationToken.None);
        Assert.NotNull(champion);

        PipelineResult second = await RunAsync("gate-b.jsonl", 22);

        // Both models were scored by the real trainer on the model's fixed evaluation set and paired example by example.
        var gate = second.Gate!;
        Assert.Equal(champion!.Version, gate.ChampionVersion);
        Assert.NotNull(gate.Champion?.EvalBitsPerByte);
        Assert.NotNull(gate.Challenger.EvalBitsPerByte);
        Assert.NotNull(gate.Comparison);
        Assert.True(gate.Comparison!.Examples > 0);
        Assert.InRange(gate.Comparison.Low, double.NegativeInfinity, gate.Comparison.High);
        Assert.True(gate.Challenger.Generations > 0);
        BlobContainerClient curated = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Curated);
        var evalSet = curated.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"{StackFixture.Model}/_evalset/", CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await evalSet.MoveNextAsync());
    }

    [Fact]
    public async Task DataDrop_SameRecordsAgainInAnotherFile_DroppedAsDuplicatesOfEarlierDrop()
    {
        // Forty records that share no five words in a row with each other, so none is a near duplicate of another.
        var random = new Random(5);
        string content = string.Join('\n', Enumerable.Range(0, 40).Select(i =>
            $$"""{"id":"x{{i}}","text":"{{string.Join(' ', Enumerable.Range(0, 16).Select(_ => $"w{random.Next(100_000)}"))}}"}""")) + "\n";
        (string firstName, BlobContentInfo firstInfo, long length) = await DropAsync("twice-a.jsonl", content);
        (string secondName, BlobContentInfo secondInfo, _) = await DropAsync("twice-b.jsonl", content);
        TriggerOutcome first = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, firstName, firstInfo.ETag.ToString(), length, CancellationToken.None);
        PipelineResult firstResult = StackFixture.ResultOf(await fixture.WaitForEndAsync(first.InstanceId!, TimeSpan.FromMinutes(3)));
        Assert.Equal(40, firstResult.Data!.RecordsCurated);

        TriggerOutcome second = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, secondName, secondInfo.ETag.ToString(), length, CancellationToken.None);
        PipelineResult secondResult = StackFixture.ResultOf(await fixture.WaitForEndAsync(second.InstanceId!, TimeSpan.FromMinutes(3)));

        Assert.False(secondResult.Succeeded);
        Assert.Equal(40, secondResult.Data!.NearDuplicates);
        Assert.Contains("no trainable records", secondResult.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FolderDrop_RunsOnceWhenSuccessMarkerArrives_OverEveryFile()
    {
        var random = new Random(9);
        string Part(int n) => string.Join('\n', Enumerable.Range(0, 30).Select(i =>
            $$"""{"id":"f{{n}}-{{i}}","text":"{{string.Join(' ', Enumerable.Range(0, 14).Select(_ => $"v{random.Next(1_000_000)}"))}}"}""")) + "\n";
        (string first, BlobContentInfo firstInfo, long firstLength) = await DropAsync("batch-7/part-0000.jsonl", Part(0));
        await DropAsync("batch-7/part-0001.jsonl", Part(1));
        await DropAsync("batch-7/_temporary/ignored.jsonl", Part(2));

        TriggerOutcome early = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, first, firstInfo.ETag.ToString(), firstLength, CancellationToken.None);
        Assert.Equal(TriggerOutcomeKind.Accepted, early.Kind);
        Assert.Contains("_SUCCESS", early.Message, StringComparison.Ordinal);

        (string marker, BlobContentInfo markerInfo, _) = await DropAsync("batch-7/_SUCCESS", string.Empty);
        TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, marker, markerInfo.ETag.ToString(), 0, CancellationToken.None);
        Assert.Equal(TriggerOutcomeKind.Started, started.Kind);
        PipelineResult result = StackFixture.ResultOf(await fixture.WaitForEndAsync(started.InstanceId!, TimeSpan.FromMinutes(3)));

        Assert.Equal(60, result.Data!.RecordsRead);
        Assert.Equal(60, result.Data.RecordsCurated);
    }

    [Fact]
    public async Task DataDrop_NotJsonl_QuarantinesFileAndFailsDataStageWithReason()
    {
        (string blobName, BlobContentInfo info, long length) = await DropAsync("table.jsonl", "name,text\nalpha,hello world\nbeta,second row\n");
        TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, blobName, info.ETag.ToString(), length, CancellationToken.None);
        PipelineResult result = StackFixture.ResultOf(await fixture.WaitForEndAsync(started.InstanceId!, TimeSpan.FromMinutes(1)));

        Assert.False(result.Succeeded);
        Assert.Equal(StageState.Failed, result.Stages.Single(s => s.Stage == PipelineStage.Data).State);
        Assert.Contains("not JSONL", result.Summary, StringComparison.Ordinal);
        Assert.Contains($"incoming/{blobName}", result.Summary, StringComparison.Ordinal);
        BlobContainerClient quarantine = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Quarantine);
        string reason = (await quarantine.GetBlobClient($"{StackFixture.Model}/{started.InstanceId}/files/table.jsonl.reason.txt").DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("not JSONL", reason, StringComparison.Ordinal);
        Assert.True((await quarantine.GetBlobClient($"{StackFixture.Model}/{started.InstanceId}/files/table.jsonl").ExistsAsync()).Value);
    }

    [Fact]
    public async Task DataDrop_EmptyFile_RejectedWithReasonAndNoRun()
    {
        (string blobName, BlobContentInfo info, _) = await DropAsync("empty.jsonl", string.Empty);
        TriggerOutcome outcome = await fixture.Stack.Starter.StartForDropAsync(StackFixture.Model, blobName, info.ETag.ToString(), 0, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Rejected, outcome.Kind);
        Assert.Contains($"incoming/{blobName} is empty (0 bytes)", outcome.Message, StringComparison.Ordinal);
        BlobContainerClient quarantine = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Quarantine);
        Assert.True((await quarantine.GetBlobClient($"rejected-drops/{blobName}.reason.txt").ExistsAsync()).Value);
    }

    [Fact]
    public async Task DataDrop_UnknownModel_RejectedNamingModelAndPlace()
    {
        TriggerOutcome outcome = await fixture.Stack.Starter.StartForDropAsync("nosuchmodel", "nosuchmodel/x.jsonl", "\"0x1\"", 10, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Rejected, outcome.Kind);
        Assert.Contains("unknown model 'nosuchmodel' in incoming/nosuchmodel/x.jsonl", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drop_UnknownModelWithANameNearTheLimit_QuarantinedUnderItsHash()
    {
        // 1 020 characters: a legal blob name, too long to take the quarantine's ".reason.txt".
        string blobName = "nosuchmodel/" + new string('x', 1002) + ".jsonl";

        TriggerOutcome outcome = await fixture.Stack.Starter.StartForDropAsync("nosuchmodel", blobName, "\"0x1\"", 10, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Rejected, outcome.Kind);
        Assert.Contains("unknown model 'nosuchmodel'", outcome.Message, StringComparison.Ordinal);
        var quarantine = fixture.Stack.Services.GetRequiredService<PipelineStorage>().Container(PipelineStorage.Quarantine);
        bool kept = false;
        await foreach (BlobItem item in quarantine.GetBlobsAsync(new GetBlobsOptions { Prefix = "rejected-drops/_long-names/" }))
        {
            string reason = (await quarantine.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content.ToString();
            kept |= reason.StartsWith($"incoming/{blobName}\n", StringComparison.Ordinal);
        }

        Assert.True(kept, "the reason is kept under the name's hash, naming the file");
    }

    [Fact]
    public async Task DriftAlert_Malformed_QuarantinedWithReason()
    {
        TriggerOutcome outcome = await fixture.Stack.Starter.StartForDriftAlertAsync("{\"schemaId\":\"azureMonitorCommonAlertSchema\",\"data\":{\"essentials\":{}}}", CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Rejected, outcome.Kind);
        Assert.Contains("data.essentials.alertId", outcome.Message, StringComparison.Ordinal);
        Assert.Contains("quarantine/alerts/", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpApi_StatusOfAFailedOrTerminatedInstance_RendersWhateverItsOutput()
    {
        // A failed orchestration's output and a terminated one's reason are plain text, not JSON.
        string failed = $"status-failed-{Guid.NewGuid():N}";
        string terminated = $"status-terminated-{Guid.NewGuid():N}";
        string thrown = $"status-thrown-{Guid.NewGuid():N}";
        await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeploymentOrchestrator), input: "not a request", new StartOrchestrationOptions(thrown));
        await fixture.WaitForEndAsync(thrown, TimeSpan.FromSeconds(30));
        await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync("NoSuchOrchestrator", new StartOrchestrationOptions(failed));
        await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(DeploymentOrchestrator), input: "not a request", new StartOrchestrationOptions(terminated));
        await fixture.Stack.Client.TerminateInstanceAsync(terminated, "cancelled by an operator, not JSON");
        await fixture.WaitForEndAsync(failed, TimeSpan.FromSeconds(30));
        await fixture.WaitForEndAsync(terminated, TimeSpan.FromSeconds(30));

        using HttpClient http = fixture.Stack.ApiClient("reader", ApiRole.Reader);
        foreach (string id in new[] { failed, terminated, thrown })
        {
            using HttpResponseMessage response = await http.GetAsync($"api/pipelines/{id}");
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"{id}: {(int)response.StatusCode} {body}");
            Assert.Contains(id, body, StringComparison.Ordinal);
        }

        PipelineStatusView? view = await fixture.Stack.Starter.GetStatusAsync(thrown, CancellationToken.None);
        Assert.Contains("could not be converted to GenAiServerless.Pipeline.DeploymentRequest", view!.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpApi_UnknownModelAndBadBody_AnswerWithSpecificErrors()
    {
        using HttpClient http = fixture.Stack.ApiClient("deployer", ApiRole.Deployer);
        using HttpResponseMessage unknown = await http.PostAsJsonAsync("api/models/ghost/deployments", new { version = 1 });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("unknown model 'ghost'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var bad = new StringContent("{\"version\": ", System.Text.Encoding.UTF8, "application/json");
        using HttpResponseMessage malformed = await http.PostAsync($"api/models/{StackFixture.Model}/deployments", bad);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("not a valid DeploymentCommand", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using HttpResponseMessage missing = await http.PostAsJsonAsync($"api/models/{StackFixture.Model}/deployments", new { version = 999 });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no version 999", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using HttpClient approver = fixture.Stack.ApiClient("approver", ApiRole.Approver);
        using HttpResponseMessage approve = await approver.PostAsJsonAsync("api/pipelines/no-such-run/approve", new { });
        Assert.Equal(System.Net.HttpStatusCode.NotFound, approve.StatusCode);
    }

    [Fact]
    public async Task HttpApi_OnTheStack_NeedsATokenAndRefusesCrossSitePosts()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Stack.ApiBase };
        using HttpResponseMessage noToken = await anonymous.GetAsync("api/pipelines");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal("application/problem+json", noToken.Content.Headers.ContentType?.MediaType);

        using HttpResponseMessage health = await anonymous.GetAsync("api/health");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);

        // What a web page open in a browser can send without a preflight: text/plain, from its own origin.
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, $"api/models/{StackFixture.Model}/deployments")
        {
            Content = new StringContent("{\"version\": 1}", System.Text.Encoding.UTF8, "text/plain"),
        };
        crossSite.Headers.Add("Origin", "http://attacker.example");
        using HttpResponseMessage refused = await anonymous.SendAsync(crossSite);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);

        using HttpClient reader = fixture.Stack.ApiClient("reader", ApiRole.Reader);
        using HttpResponseMessage deploy = await reader.PostAsJsonAsync($"api/models/{StackFixture.Model}/deployments", new { version = 1 });
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, deploy.StatusCode);
        Assert.True(File.Exists(Path.Combine(fixture.Home, LocalApiTokens.KeyFileName)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(fixture.Home, LocalApiTokens.KeyFileName)));
        }
    }

    [Fact]
    public async Task BlobModelRegistry_ListModels_NamesEveryModelFolderOnce()
    {
        string model = $"listed{Guid.NewGuid():N}"[..16];
        var container = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Registry);
        await container.GetBlobClient($"{model}/versions/000001/version.json").UploadAsync(BinaryData.FromString("{}"), overwrite: true);
        await container.GetBlobClient($"{model}/aliases/champion.json").UploadAsync(BinaryData.FromString("{}"), overwrite: true);

        IReadOnlyList<string> models = await fixture.Stack.Services.GetRequiredService<IModelRegistry>().ListModelsAsync(CancellationToken.None);

        Assert.Single(models, m => m == model);
        Assert.Equal(models.Order(StringComparer.Ordinal), models);
    }
}
