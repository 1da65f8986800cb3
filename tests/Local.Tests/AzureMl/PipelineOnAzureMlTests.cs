using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Demo;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Triggers;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Local.AzureMl;

/// <summary>The whole chain through the real Azure ML clients, against the Azure ML emulator: a data drop → a spot
/// command job from the uploaded code asset, preempted and requeued by the service, resuming from its checkpoint → an
/// evaluation job → a model asset version with lineage → a managed online endpoint whose new deployment takes all the
/// traffic and answers.</summary>
[Trait("Category", "Slow")]
public sealed class PipelineOnAzureMlTests(AzureMlStackFixture fixture) : IClassFixture<AzureMlStackFixture>
{
    const string Api = "api-version=2025-12-01";

    [Fact]
    public async Task DataDrop_OnAzureMl_TrainsThroughAnEvictionRegistersAndRollsOut()
    {
        string blobName = $"{AzureMlStackFixture.Model}/azure.jsonl";
        string corpus = SampleCorpus.Generate(500, seed: 21);
        BlobClient blob = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(corpus), overwrite: true)).Value;

        TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(AzureMlStackFixture.Model, blobName, info.ETag.ToString(),
            System.Text.Encoding.UTF8.GetByteCount(corpus), CancellationToken.None);
        PipelineStatusView view = await StackFixture.WaitForEndAsync(fixture.Stack, started.InstanceId!, TimeSpan.FromMinutes(4));
        PipelineResult result = StackFixture.ResultOf(view);
        Assert.True(result.Succeeded, result.Summary + await JobLogsAsync());

        // Training: one Azure ML job, preempted once and requeued by the service (no resubmission), resumed from its
        // checkpoint on the shared checkpoints datastore.
        Assert.Equal(1, result.Training!.Attempts);
        Assert.Equal(1, result.Training.Evictions);
        Assert.True(result.Training.Metrics["resumed_from_step"] > 0, "the requeued run resumed from a checkpoint");
        using JsonDocument jobRecord = await GetJsonAsync($"/_emulator/jobs/{result.Training.JobId}");
        Assert.Equal(2, jobRecord.RootElement.GetProperty("attempt").GetInt32());
        using JsonDocument job = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/jobs/{result.Training.JobId}?{Api}");
        JsonElement jobProperties = job.RootElement.GetProperty("properties");
        Assert.Equal("Spot", jobProperties.GetProperty("queueSettings").GetProperty("jobTier").GetString());
        Assert.StartsWith($"{AzureMlStackFixture.WorkspacePath}/codes/genai-components/versions/", jobProperties.GetProperty("codeId").GetString(), StringComparison.Ordinal);

        // Registry: the version in the pipeline's registry is also a model asset in the workspace, with its lineage, in
        // the Production stage now that it is champion.
        int version = result.Version!.Version;
        using JsonDocument asset = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/models/{AzureMlStackFixture.Model}/versions/{version}?{Api}");
        JsonElement assetProperties = asset.RootElement.GetProperty("properties");
        Assert.Equal(started.InstanceId, assetProperties.GetProperty("tags").GetProperty("runId").GetString());
        Assert.Equal(result.Data!.ManifestSha256, assetProperties.GetProperty("tags").GetProperty("dataManifestSha256").GetString());
        Assert.Equal(result.Training.JobId, assetProperties.GetProperty("jobName").GetString());
        Assert.Equal("Production", assetProperties.GetProperty("stage").GetString());
        Assert.StartsWith($"azureml://datastores/registry/paths/{AzureMlStackFixture.Model}/runs/", assetProperties.GetProperty("modelUri").GetString(), StringComparison.Ordinal);
        ModelVersionInfo? champion = await fixture.Stack.Services.GetRequiredService<IModelRegistry>().GetAliasAsync(AzureMlStackFixture.Model, ModelAliases.Champion, CancellationToken.None);
        Assert.Equal(version, champion!.Version);

        // Rollout: the endpoint's new deployment, of that asset, takes all the traffic.
        Assert.True(result.Rollout!.Succeeded, result.Rollout.Detail);
        using JsonDocument endpoint = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/onlineEndpoints/{AzureMlStackFixture.Model}?{Api}");
        JsonElement traffic = endpoint.RootElement.GetProperty("properties").GetProperty("traffic");
        Assert.Equal(100, traffic.GetProperty(result.Rollout.Deployment).GetInt32());
        using JsonDocument deployment = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/onlineEndpoints/{AzureMlStackFixture.Model}/deployments/{result.Rollout.Deployment}?{Api}");
        Assert.EndsWith($"/models/{AzureMlStackFixture.Model}/versions/{version}", deployment.RootElement.GetProperty("properties").GetProperty("model").GetString(), StringComparison.Ordinal);

        // Scoring through the stack's API reaches the online endpoint and names the deployment that answered.
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiBase };
        using HttpResponseMessage response = await http.PostAsJsonAsync($"endpoints/{AzureMlStackFixture.Model}/score", new { prompt = "the model" });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        using JsonDocument answer = JsonDocument.Parse(body);
        Assert.Equal(result.Rollout.Deployment, answer.RootElement.GetProperty("deployment").GetString());
        Assert.False(string.IsNullOrWhiteSpace(answer.RootElement.GetProperty("completion").GetString()));
    }

    [Fact]
    public async Task Rollout_DeploymentFailsToProvision_RollsBackWithTheLogInTheReason()
    {
        // A registered version (mirrored as a model asset) whose deployment's init() raises.
        const string model = "azbad";
        string runId = $"bad-{Guid.NewGuid():N}";
        BlobContainerClient models = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Models);
        await models.GetBlobClient($"jobs/{runId}-train-a1/model.json").UploadAsync(BinaryData.FromString("{}"), overwrite: true);
        ModelVersionInfo version = await fixture.Stack.Services.GetRequiredService<IModelRegistry>().RegisterAsync(
            new ModelRegistration(model, runId, $"{runId}-train-a1", $"{PipelineStorage.Models}/jobs/{runId}-train-a1/", "curated/azbad/manifest.json", "00", new Dictionary<string, double>()),
            DateTime.UtcNow, CancellationToken.None);
        string instanceId = $"azbad-rollout-{runId}";
        string deployment = RolloutOrchestrator.DeploymentName(version.Version, instanceId);
        using HttpResponseMessage fault = await fixture.Arm.PostAsJsonAsync($"/_emulator/endpoints/{model}/deployments/{deployment}/provisioning-failure",
            new { message = "CUDA driver version is insufficient for CUDA runtime version", count = 1 });
        fault.EnsureSuccessStatusCode();

        var request = new RolloutRequest(new DeployableModel(model, version.Version, version.FilesPrefix),
            new RolloutPolicy([50, 100], TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(200), "the model"));
        await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RolloutOrchestrator), request, new StartOrchestrationOptions(instanceId));
        OrchestrationMetadata done = await fixture.Stack.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);

        RolloutResult result = done.ReadOutputAs<RolloutResult>()!;
        Assert.False(result.Succeeded);
        Assert.Contains($"deployment {deployment} failed to provision", result.Detail, StringComparison.Ordinal);
        Assert.Contains("CUDA driver version is insufficient", result.Detail, StringComparison.Ordinal);

        // The failed deployment is gone and the endpoint takes no traffic.
        using JsonDocument deployments = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/onlineEndpoints/{model}/deployments?{Api}");
        Assert.Empty(deployments.RootElement.GetProperty("value").EnumerateArray());
        using JsonDocument endpoint = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/onlineEndpoints/{model}?{Api}");
        Assert.Empty(endpoint.RootElement.GetProperty("properties").GetProperty("traffic").EnumerateObject());
    }

    [Fact]
    public async Task SecondDrop_OnAzureMl_ScoresTheChampionCanariesAndRetiresThePreviousDeployment()
    {
        PipelineResult first = await DropAndWaitAsync("champion-a.jsonl", seed: 31);
        Assert.True(first.Succeeded, first.Summary + await JobLogsAsync());
        string previousDeployment = first.Rollout!.Deployment;
        int previousVersion = first.Version!.Version;

        PipelineResult second = await DropAndWaitAsync("champion-b.jsonl", seed: 32);
        Assert.True(second.Succeeded, second.Summary + await JobLogsAsync());

        // The champion was re-scored by an Azure ML job reading its files from the registry datastore, on the same set.
        Assert.Equal(previousVersion, second.Gate!.ChampionVersion);
        Assert.NotNull(second.Gate.Comparison);
        Assert.True(second.Gate.Comparison!.Examples > 0);
        using JsonDocument championJob = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/jobs/{second.Version!.RunId}-eval-champion-a1?{Api}");
        Assert.StartsWith("azureml://datastores/registry/paths/", championJob.RootElement.GetProperty("properties").GetProperty("inputs").GetProperty("model").GetProperty("uri").GetString(), StringComparison.Ordinal);

        // The canary went through the endpoint's traffic (GET, edit, PUT) step by step, then the previous deployment was
        // drained to 0 % and deleted, and its asset archived.
        using JsonDocument requests = await GetJsonAsync("/_emulator/requests");
        var trafficPuts = new List<int>();
        foreach (JsonElement request in requests.RootElement.EnumerateArray())
        {
            if (request.GetProperty("method").GetString() == "PUT"
                && request.GetProperty("path").GetString()!.EndsWith($"/onlineEndpoints/{AzureMlStackFixture.Model}", StringComparison.Ordinal)
                && request.GetProperty("body").GetString() is { } body)
            {
                using JsonDocument put = JsonDocument.Parse(body);
                if (put.RootElement.GetProperty("properties").TryGetProperty("traffic", out JsonElement traffic)
                    && traffic.TryGetProperty(second.Rollout!.Deployment, out JsonElement share))
                {
                    trafficPuts.Add(share.GetInt32());
                }
            }
        }

        Assert.Contains(50, trafficPuts);
        Assert.Equal(100, trafficPuts[^1]);
        using JsonDocument deployments = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/onlineEndpoints/{AzureMlStackFixture.Model}/deployments?{Api}");
        var names = deployments.RootElement.GetProperty("value").EnumerateArray().Select(d => d.GetProperty("name").GetString()).ToList();
        Assert.Contains(second.Rollout!.Deployment, names);
        Assert.DoesNotContain(previousDeployment, names);
        using JsonDocument oldAsset = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/models/{AzureMlStackFixture.Model}/versions/{previousVersion}?{Api}");
        Assert.Equal("Archived", oldAsset.RootElement.GetProperty("properties").GetProperty("stage").GetString());
    }

    [Fact]
    public async Task DataDrop_ArmThrottlesAndFailsTransiently_RetriesAfterTheServiceDelayAndSucceeds()
    {
        // The next job submission is throttled (429, Retry-After 1 s), then answered with a 503: both retried.
        foreach (object fault in new object[]
        {
            new { method = "PUT", pathPattern = "/jobs/", status = 429, count = 1, retryAfterSeconds = 1, code = "TooManyRequests", message = "Rate limit exceeded" },
            new { method = "PUT", pathPattern = "/jobs/", status = 503, count = 1, code = "ServiceUnavailable", message = "Try again" },
        })
        {
            using HttpResponseMessage added = await fixture.Arm.PostAsJsonAsync("/_emulator/faults/http", fault);
            added.EnsureSuccessStatusCode();
        }

        PipelineResult result = await DropAndWaitAsync("throttled.jsonl", seed: 33);

        Assert.True(result.Succeeded, result.Summary + await JobLogsAsync());
        using JsonDocument requests = await GetJsonAsync("/_emulator/requests");
        var statuses = requests.RootElement.EnumerateArray()
            .Where(r => r.GetProperty("method").GetString() == "PUT" && r.GetProperty("path").GetString()!.EndsWith($"/jobs/{result.Training!.JobId}", StringComparison.Ordinal))
            .Select(r => r.GetProperty("status").GetInt32())
            .ToList();
        Assert.Equal([429, 503], statuses.Take(2));
        Assert.Contains(statuses.Skip(2), s => s is 200 or 201);
    }

    async Task<PipelineResult> DropAndWaitAsync(string name, int seed)
    {
        string blobName = $"{AzureMlStackFixture.Model}/{name}";
        string corpus = SampleCorpus.Generate(400, seed);
        BlobClient blob = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(corpus), overwrite: true)).Value;
        TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(AzureMlStackFixture.Model, blobName, info.ETag.ToString(),
            System.Text.Encoding.UTF8.GetByteCount(corpus), CancellationToken.None);
        return StackFixture.ResultOf(await StackFixture.WaitForEndAsync(fixture.Stack, started.InstanceId!, TimeSpan.FromMinutes(4)));
    }

    /// <summary>Every emulated job's status and the tail of its stderr: what a failed run's message needs.</summary>
    async Task<string> JobLogsAsync()
    {
        using JsonDocument jobs = await GetJsonAsync($"{AzureMlStackFixture.WorkspacePath}/jobs?{Api}");
        var text = new System.Text.StringBuilder();
        foreach (JsonElement job in jobs.RootElement.GetProperty("value").EnumerateArray())
        {
            string name = job.GetProperty("name").GetString()!;
            string stderr = await fixture.Arm.GetStringAsync($"/_emulator/jobs/{name}/stderr");
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n--- {name} ({job.GetProperty("properties").GetProperty("status").GetString()}): {stderr[Math.Max(0, stderr.Length - 1500)..]}");
        }

        return text.ToString();
    }

    async Task<JsonDocument> GetJsonAsync(string path)
    {
        using HttpResponseMessage response = await fixture.Arm.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }
}
