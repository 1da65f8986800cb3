using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core.Pipeline;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using GenAiServerless.Training;
using GenAiServerless.Training.AzureMl;

namespace GenAiServerless.Tests.Orchestrations.Training.AzureMl;

/// <summary>The Azure ML adapter against the exact shapes of the Azure ML REST API (2025-12-01 jobs): method, URI,
/// api-version and JSON body of every call, and the mapping of the answers.</summary>
public sealed class AzureMlJobBackendContractTests
{
    const string W = "/subscriptions/sub-1/resourceGroups/rg-genai/providers/Microsoft.MachineLearningServices/workspaces/mlw-genai";

    static AzureMlOptions Options(string? compute = null) => new()
    {
        SubscriptionId = "sub-1",
        ResourceGroup = "rg-genai",
        WorkspaceName = "mlw-genai",
        Region = "eastus",
        ComputeName = compute,
    };

    static JobSubmission Train(int attempt = 1, bool spot = true) => new(
        $"tinylm-drop-abc-train-a{attempt}", attempt, JobKind.Train, ["curated/tinylm/tinylm-drop-abc/"], null, "tinylm-drop-abc-train",
        "Standard_NC24ads_A100_v4", spot, new Dictionary<string, string> { ["steps"] = "20", ["order"] = "3" });

    static (AzureMlJobBackend Backend, RecordingTransport Transport) Create(AzureMlOptions options, params (int, string)[] answers)
    {
        var transport = new RecordingTransport(answers);
        HttpPipeline pipeline = HttpPipelineBuilder.Build(new AzureMlClientOptions { Transport = transport, Retry = { MaxRetries = 0 } });
        return (new AzureMlJobBackend(pipeline, options), transport);
    }

    static string Job(string status) => $"{{\"id\":\"{W}/jobs/x\",\"name\":\"x\",\"properties\":{{\"jobType\":\"Command\",\"status\":\"{status}\"}}}}";

    [Fact]
    public async Task SubmitAsync_NewJob_GetsThenPutsCommandJobWithSpotTierAndExplicitUris()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"no job\"}}"), (201, Job("NotStarted")));

        JobStatus status = await backend.SubmitAsync(Train(), CancellationToken.None);

        Assert.Equal(JobState.Queued, status.State);
        Assert.Equal(2, transport.Requests.Count);
        Assert.Equal("GET", transport.Requests[0].Method);
        RecordedRequest put = transport.Requests[1];
        Assert.Equal("PUT", put.Method);
        Assert.Equal($"https://management.azure.com{W}/jobs/tinylm-drop-abc-train-a1?api-version=2025-12-01", put.Uri.ToString());

        JsonNode p = JsonNode.Parse(put.Body!)!["properties"]!;
        Assert.Equal("Command", (string?)p["jobType"]);
        Assert.Equal("azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest", (string?)p["environmentId"]);
        Assert.Equal("genai-trainer train --data ${{inputs.data}} --out ${{outputs.model}} --checkpoints ${{outputs.checkpoints}} --order 3 --steps 20", (string?)p["command"]);
        Assert.Equal("Spot", (string?)p["queueSettings"]!["jobTier"]);
        Assert.Null(p["computeId"]);
        Assert.Equal("Managed", (string?)p["identity"]!["identityType"]);
        Assert.Equal("uri_folder", (string?)p["inputs"]!["data"]!["jobInputType"]);
        Assert.Equal("1", (string?)p["environmentVariables"]!["GENAI_JOB_ATTEMPT"]);
        Assert.Equal("azureml://datastores/curated/paths/tinylm/tinylm-drop-abc/", (string?)p["inputs"]!["data"]!["uri"]);
        Assert.Equal("ReadOnlyMount", (string?)p["inputs"]!["data"]!["mode"]);
        Assert.Equal("azureml://datastores/models/paths/jobs/tinylm-drop-abc-train-a1/", (string?)p["outputs"]!["model"]!["uri"]);
        Assert.Equal("ReadWriteMount", (string?)p["outputs"]!["model"]!["mode"]);
        Assert.Equal("azureml://datastores/checkpoints/paths/tinylm-drop-abc-train/", (string?)p["outputs"]!["checkpoints"]!["uri"]);
        Assert.Equal(1, (int?)p["resources"]!["instanceCount"]);
        Assert.Equal("Standard_NC24ads_A100_v4", (string?)p["resources"]!["instanceType"]);
        Assert.Equal("Command", (string?)p["limits"]!["jobLimitsType"]);
    }

    [Fact]
    public async Task SubmitAsync_SecondAttempt_MountsTheSameCheckpoints()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{}"), (201, Job("Queued")));

        await backend.SubmitAsync(Train(attempt: 2), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[1].Body!)!["properties"]!;
        Assert.EndsWith("/jobs/tinylm-drop-abc-train-a2?api-version=2025-12-01", transport.Requests[1].Uri.ToString(), StringComparison.Ordinal);
        Assert.Equal("azureml://datastores/checkpoints/paths/tinylm-drop-abc-train/", (string?)p["outputs"]!["checkpoints"]!["uri"]);
    }

    [Fact]
    public async Task SubmitAsync_JobExists_StartsNothing()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (200, Job("Running")));

        JobStatus status = await backend.SubmitAsync(Train(), CancellationToken.None);

        Assert.Equal(JobState.Running, status.State);
        Assert.Single(transport.Requests);
        Assert.Equal("GET", transport.Requests[0].Method);
    }

    [Fact]
    public async Task SubmitAsync_LowPriorityCluster_SetsComputeIdInsteadOfJobTier()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(compute: "gpu-lowpri"), (404, "{}"), (201, Job("Queued")));

        await backend.SubmitAsync(Train(), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[1].Body!)!["properties"]!;
        Assert.Equal($"{W}/computes/gpu-lowpri", (string?)p["computeId"]);
        Assert.Null(p["queueSettings"]);
    }

    [Fact]
    public async Task SubmitAsync_DedicatedFallback_UsesStandardTier()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{}"), (201, Job("Queued")));

        await backend.SubmitAsync(Train(spot: false), CancellationToken.None);

        Assert.Equal("Standard", (string?)JsonNode.Parse(transport.Requests[1].Body!)!["properties"]!["queueSettings"]!["jobTier"]);
    }

    [Fact]
    public async Task SubmitAsync_ArmError_ThrowsWithCodeAndMessage()
    {
        (AzureMlJobBackend backend, _) = Create(Options(), (404, "{}"), (400, "{\"error\":{\"code\":\"UserError\",\"message\":\"instanceType is not supported\"}}"));

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(() => backend.SubmitAsync(Train(), CancellationToken.None));

        Assert.Equal(400, e.Status);
        Assert.Equal("UserError", e.ErrorCode);
        Assert.Contains("instanceType is not supported", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NotStarted", JobState.Queued)]
    [InlineData("Starting", JobState.Queued)]
    [InlineData("Provisioning", JobState.Queued)]
    [InlineData("Preparing", JobState.Queued)]
    [InlineData("Queued", JobState.Queued)]
    [InlineData("Running", JobState.Running)]
    [InlineData("Finalizing", JobState.Running)]
    [InlineData("CancelRequested", JobState.Canceled)]
    [InlineData("Completed", JobState.Completed)]
    [InlineData("Failed", JobState.Failed)]
    [InlineData("Canceled", JobState.Canceled)]
    [InlineData("NotResponding", JobState.Running)]
    [InlineData("SomethingNew", JobState.Running)]
    public void MapStatus_EveryDocumentedValue_MapsLeniently(string status, JobState expected) =>
        Assert.Equal(expected, AzureMlJobBackend.MapStatus(status));

    [Fact]
    public async Task CancelAsync_PostsCancelAction()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (202, string.Empty));

        await backend.CancelAsync("tinylm-drop-abc-train-a1", CancellationToken.None);

        RecordedRequest r = Assert.Single(transport.Requests);
        Assert.Equal("POST", r.Method);
        Assert.Equal($"https://management.azure.com{W}/jobs/tinylm-drop-abc-train-a1/cancel?api-version=2025-12-01", r.Uri.ToString());
    }

    [Fact]
    public async Task GetMetricsAsync_MlflowRun_TakesLatestValuePerKey()
    {
        const string run = """
            {"run":{"info":{"run_id":"j"},"data":{"metrics":[
              {"key":"validation_perplexity","value":40.0,"timestamp":1,"step":1},
              {"key":"validation_perplexity","value":31.5,"timestamp":2,"step":2},
              {"key":"train_tokens","value":1000,"timestamp":2,"step":0}]}}}
            """;
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (200, run));

        IReadOnlyDictionary<string, double> metrics = await backend.GetMetricsAsync("tinylm-drop-abc-train-a1", CancellationToken.None);

        Assert.Equal($"https://eastus.api.azureml.ms/mlflow/v1.0{W}/api/2.0/mlflow/runs/get?run_id=tinylm-drop-abc-train-a1", transport.Requests[0].Uri.ToString());
        Assert.Equal(31.5, metrics["validation_perplexity"]);
        Assert.Equal(1000, metrics["train_tokens"]);
    }

    [Fact]
    public void JobBody_Evaluation_MountsModelAndRunsEvaluate()
    {
        (AzureMlJobBackend backend, _) = Create(Options());
        var submission = new JobSubmission("r-eval-a1", 1, JobKind.Evaluate, ["curated/tinylm/r/"], "models/jobs/r-train-a2/", "r-eval",
            "Standard_NC4as_T4_v3", true, new Dictionary<string, string>());

        JsonNode p = backend.JobBody(submission)["properties"]!;

        Assert.Equal("genai-trainer evaluate --model ${{inputs.model}} --data ${{inputs.data}} --out ${{outputs.model}}", (string?)p["command"]);
        Assert.Equal("azureml://datastores/models/paths/jobs/r-train-a2/", (string?)p["inputs"]!["model"]!["uri"]);
        Assert.Null(p["outputs"]!["checkpoints"]);
    }

    [Fact]
    public void JobId_DerivedFromInstanceAndAttempt_MatchesArmPattern()
    {
        Assert.Matches("^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$", Train(attempt: 3).JobId);
        _ = JsonSerializer.Serialize(Train());
    }
}
