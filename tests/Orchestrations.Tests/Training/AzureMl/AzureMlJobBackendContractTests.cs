using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Platform;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using GenAiServerless.Training;
using GenAiServerless.Training.AzureMl;
using Microsoft.Extensions.Options;
using static GenAiServerless.Tests.Orchestrations.Platform.AzureMl.ArmContract;

namespace GenAiServerless.Tests.Orchestrations.Training.AzureMl;

/// <summary>The Azure ML job backend against the exact shapes of the REST API (2025-12-01 jobs and code assets): method,
/// URI, api-version and JSON body of every call, and the mapping of the answers.</summary>
public sealed class AzureMlJobBackendContractTests : IDisposable
{
    readonly string folder;
    readonly string codeVersion;

    public AzureMlJobBackendContractTests() => (folder, codeVersion) = ComponentsFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string CodeId => $"{W}/codes/genai-components/versions/{codeVersion}";

    static JobSubmission Train(int attempt = 1, bool spot = true, string[]? data = null) => new(
        $"tinylm-drop-abc-train-a{attempt}", attempt, JobKind.Train, data ?? ["curated/tinylm/tinylm-drop-abc/"], null, "tinylm-drop-abc-train",
        "Standard_NC24ads_A100_v4", spot, new Dictionary<string, string> { ["steps"] = "20", ["order"] = "3" });

    (AzureMlJobBackend Backend, RecordingTransport Transport) Create(AzureMlOptions options, params (int, string)[] answers) =>
        Create(options, new TrainingOptions(), answers);

    (AzureMlJobBackend Backend, RecordingTransport Transport) Create(AzureMlOptions options, TrainingOptions training, params (int, string)[] answers)
    {
        var transport = new RecordingTransport(answers);
        AzureMlClient client = Client(transport, options);
        var storage = new PipelineStorage(new BlobServiceClient("UseDevelopmentStorage=true"), new QueueServiceClient("UseDevelopmentStorage=true"));
        return (new AzureMlJobBackend(client, new AzureMlCodeAsset(client, folder), Microsoft.Extensions.Options.Options.Create(training), storage), transport);
    }

    /// <summary>A CPU component with its own compute settings, beside the shipped ones.</summary>
    static TrainingOptions WithComponent(string? compute = null, string? dedicatedCompute = null, string? instanceType = null) => new()
    {
        Components =
        {
            ["cpu"] = new GenAiServerless.Training.Components.TrainingComponent
            {
                TrainCommand = "python -m causal_lm train --data {data} --out {out} --checkpoints {checkpoints}",
                EvaluateCommand = "python -m causal_lm evaluate --model {model} --data {data} --out {out}",
                Environment = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
                Compute = compute,
                DedicatedCompute = dedicatedCompute,
                InstanceType = instanceType,
            },
        },
    };

    static string Job(string status) => $"{{\"id\":\"{W}/jobs/x\",\"name\":\"x\",\"properties\":{{\"jobType\":\"Command\",\"status\":\"{status}\"}}}}";

    static string Code => "{\"properties\":{\"codeUri\":\"https://ws.blob.core.windows.net/code/LocalUpload/x\"}}";

    [Fact]
    public async Task SubmitAsync_NewJob_PutsCommandJobRunningTheComponentFromTheCodeAsset()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, Error("ResourceNotFound", "no job")), (200, Code), (201, Job("NotStarted")));

        JobStatus status = await backend.SubmitAsync(Train(), CancellationToken.None);

        Assert.Equal(JobState.Queued, status.State);
        Assert.Equal(["GET", "GET", "PUT"], transport.Methods);
        Assert.Equal($"{Arm}{CodeId}?{ApiVersion}", transport.RequestUris[1]);
        RecordedRequest put = transport.Requests[2];
        Assert.Equal($"{Arm}{W}/jobs/tinylm-drop-abc-train-a1?{ApiVersion}", put.Uri.ToString());

        JsonNode p = JsonNode.Parse(put.Body!)!["properties"]!;
        Assert.Equal("Command", (string?)p["jobType"]);
        Assert.Equal(CodeId, (string?)p["codeId"]);
        Assert.Equal("azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest", (string?)p["environmentId"]);
        Assert.Equal("sh ngram/genai-trainer.sh train --data ${{inputs.data_0}} --out ${{outputs.model}} --checkpoints ${{outputs.checkpoints}} --order 3 --steps 20", (string?)p["command"]);
        Assert.Equal("Spot", (string?)p["queueSettings"]!["jobTier"]);
        Assert.Null(p["computeId"]);
        Assert.Equal("Managed", (string?)p["identity"]!["identityType"]);
        Assert.Equal("1", (string?)p["environmentVariables"]!["GENAI_JOB_ATTEMPT"]);
        Assert.Equal("uri_folder", (string?)p["inputs"]!["data_0"]!["jobInputType"]);
        Assert.Equal("azureml://datastores/curated/paths/tinylm/tinylm-drop-abc/", (string?)p["inputs"]!["data_0"]!["uri"]);
        Assert.Equal("ReadOnlyMount", (string?)p["inputs"]!["data_0"]!["mode"]);
        Assert.Equal("azureml://datastores/models/paths/jobs/tinylm-drop-abc-train-a1/", (string?)p["outputs"]!["model"]!["uri"]);
        Assert.Equal("ReadWriteMount", (string?)p["outputs"]!["model"]!["mode"]);
        Assert.Equal("azureml://datastores/checkpoints/paths/tinylm-drop-abc-train/", (string?)p["outputs"]!["checkpoints"]!["uri"]);
        Assert.Equal(1, (int?)p["resources"]!["instanceCount"]);
        Assert.Equal("Standard_NC24ads_A100_v4", (string?)p["resources"]!["instanceType"]);
        Assert.Equal("Command", (string?)p["limits"]!["jobLimitsType"]);
        Assert.Equal("PT12H", (string?)p["limits"]!["timeout"]);
        Assert.Equal("tinylm-drop-abc-train", (string?)p["tags"]!["checkpointKey"]);
    }

    [Fact]
    public async Task SubmitAsync_CodeVersionMissing_StartsAPendingUploadFirst()
    {
        // The upload itself goes to the SAS the service hands out (a blob endpoint this test cannot answer): the
        // emulator-driven tests cover it; here the request that starts it.
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{}"), (404, "{}"),
            (400, Error("UserError", "pending uploads are disabled")));

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(() => backend.SubmitAsync(Train(), CancellationToken.None));

        RecordedRequest start = transport.Requests[2];
        Assert.Equal("POST", start.Method);
        Assert.Equal($"{Arm}{CodeId}/startPendingUpload?{ApiVersion}", start.Uri.ToString());
        Assert.Equal("TemporaryBlobReference", (string?)JsonNode.Parse(start.Body!)!["pendingUploadType"]);
        Assert.Contains("pending uploads are disabled", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitAsync_SeveralDatasets_MountsEachAndLinksTheirShardsIntoOneFolder()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{}"), (200, Code), (201, Job("Queued")));

        await backend.SubmitAsync(Train(data: ["curated/tinylm/d1/", "curated/tinylm/d2/"]), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        Assert.Equal("azureml://datastores/curated/paths/tinylm/d1/", (string?)p["inputs"]!["data_0"]!["uri"]);
        Assert.Equal("azureml://datastores/curated/paths/tinylm/d2/", (string?)p["inputs"]!["data_1"]!["uri"]);
        string command = (string)p["command"]!;
        Assert.Contains("for s in ${{inputs.data_0}} ${{inputs.data_1}}; do", command, StringComparison.Ordinal);
        Assert.Contains("sh ngram/genai-trainer.sh train --data \"$d\" --out ${{outputs.model}}", command, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitAsync_SecondAttempt_MountsTheSameCheckpoints()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{}"), (200, Code), (201, Job("Queued")));

        await backend.SubmitAsync(Train(attempt: 2), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        Assert.EndsWith($"/jobs/tinylm-drop-abc-train-a2?{ApiVersion}", transport.Requests[2].Uri.ToString(), StringComparison.Ordinal);
        Assert.Equal("azureml://datastores/checkpoints/paths/tinylm-drop-abc-train/", (string?)p["outputs"]!["checkpoints"]!["uri"]);
        Assert.Equal("2", (string?)p["environmentVariables"]!["GENAI_JOB_ATTEMPT"]);
    }

    [Fact]
    public async Task SubmitAsync_JobExists_StartsNothing()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (200, Job("Running")));

        JobStatus status = await backend.SubmitAsync(Train(), CancellationToken.None);

        Assert.Equal(JobState.Running, status.State);
        RecordedRequest get = Assert.Single(transport.Requests);
        Assert.Equal("GET", get.Method);
    }

    [Fact]
    public async Task SubmitAsync_LowPriorityCluster_SetsComputeIdInsteadOfJobTier()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(compute: "gpu-lowpri"), (404, "{}"), (200, Code), (201, Job("Queued")));

        await backend.SubmitAsync(Train(), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        Assert.Equal($"{W}/computes/gpu-lowpri", (string?)p["computeId"]);
        Assert.Null(p["queueSettings"]);
        // The cluster's vmSize is the VM: the selector's instance type would fail the job on a cluster without it.
        Assert.Equal("{\"instanceCount\":1}", p["resources"]!.ToJsonString());
    }

    [Fact]
    public async Task SubmitAsync_DedicatedFallback_UsesStandardTier()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(), (404, "{}"), (200, Code), (201, Job("Queued")));

        await backend.SubmitAsync(Train(spot: false), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        Assert.Equal("Standard", (string?)p["queueSettings"]!["jobTier"]);
        Assert.Equal("Standard_NC24ads_A100_v4", (string?)p["resources"]!["instanceType"]);
        Assert.Null(p["computeId"]);
    }

    [Fact]
    public async Task SubmitAsync_DedicatedAttempt_RunsOnTheDedicatedClusterNotTheLowPriorityOne()
    {
        AzureMlOptions options = Options(compute: "gpu-lowpri");
        options.DedicatedComputeName = "gpu-dedicated";
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(options,
            (404, "{}"), (200, Code), (201, Job("Queued")), (404, "{}"), (201, Job("Queued")));

        await backend.SubmitAsync(Train(attempt: 1, spot: true), CancellationToken.None);
        await backend.SubmitAsync(Train(attempt: 2, spot: false), CancellationToken.None);

        JsonNode spot = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        JsonNode dedicated = JsonNode.Parse(transport.Requests[4].Body!)!["properties"]!;
        Assert.Equal($"{W}/computes/gpu-lowpri", (string?)spot["computeId"]);
        Assert.Equal($"{W}/computes/gpu-dedicated", (string?)dedicated["computeId"]);
        Assert.All(new[] { spot, dedicated }, p =>
        {
            Assert.Null(p["queueSettings"]);
            Assert.Null(p["resources"]!["instanceType"]);
        });
    }

    [Fact]
    public async Task SubmitAsync_LowPriorityClusterOnly_DedicatedAttemptGoesServerlessStandard()
    {
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(Options(compute: "gpu-lowpri"), (404, "{}"), (200, Code), (201, Job("Queued")));

        await backend.SubmitAsync(Train(spot: false), CancellationToken.None);

        // Without a dedicated cluster a dedicated attempt must not land on the low-priority one (it would be preempted
        // again): serverless compute at the Standard tier, on the VM the selector chose.
        JsonNode p = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        Assert.Null(p["computeId"]);
        Assert.Equal("Standard", (string?)p["queueSettings"]!["jobTier"]);
        Assert.Equal("Standard_NC24ads_A100_v4", (string?)p["resources"]!["instanceType"]);
    }

    [Fact]
    public async Task SubmitAsync_DedicatedClusterOnly_SpotAttemptGoesServerlessSpot()
    {
        AzureMlOptions options = Options();
        options.DedicatedComputeName = "gpu-dedicated";
        (AzureMlJobBackend backend, RecordingTransport transport) = Create(options, (404, "{}"), (200, Code), (201, Job("Queued")));

        await backend.SubmitAsync(Train(spot: true), CancellationToken.None);

        JsonNode p = JsonNode.Parse(transport.Requests[2].Body!)!["properties"]!;
        Assert.Null(p["computeId"]);
        Assert.Equal("Spot", (string?)p["queueSettings"]!["jobTier"]);
    }

    [Fact]
    public async Task SubmitAsync_ArmError_ThrowsWithCodeAndMessage()
    {
        (AzureMlJobBackend backend, _) = Create(Options(), (404, "{}"), (200, Code), (400, Error("UserError", "instanceType is not supported")));

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(() => backend.SubmitAsync(Train(), CancellationToken.None));

        Assert.Equal(400, e.Status);
        Assert.Equal("UserError", e.ErrorCode);
        Assert.Contains("jobs/tinylm-drop-abc-train-a1", e.Message, StringComparison.Ordinal);
        Assert.Contains("instanceType is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStatusAsync_JobGone_IsFailedNamingTheJob()
    {
        (AzureMlJobBackend backend, _) = Create(Options(), (404, Error("ResourceNotFound", "gone")));

        JobStatus status = await backend.GetStatusAsync("tinylm-drop-abc-train-a1", CancellationToken.None);

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("tinylm-drop-abc-train-a1", status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetStatusAsync_Finished_BillsFromCreationToLastChange()
    {
        const string job = """
            {"name":"j","properties":{"jobType":"Command","status":"Completed"},
             "systemData":{"createdAt":"2026-12-05T10:00:00Z","lastModifiedAt":"2026-12-05T10:42:30Z"}}
            """;
        (AzureMlJobBackend backend, _) = Create(Options(), (200, job));

        JobStatus status = await backend.GetStatusAsync("j", CancellationToken.None);

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(1, status.Progress);
        Assert.Equal(42.5 * 60, status.BilledSeconds, 3);
    }

    [Fact]
    public async Task GetStatusAsync_Failed_PointsAtTheStudioLogs()
    {
        const string job = """
            {"name":"j","properties":{"jobType":"Command","status":"Failed",
             "services":{"Studio":{"jobServiceType":"Studio","endpoint":"https://ml.azure.com/runs/j?wsid=/subscriptions/sub-1"}}}}
            """;
        (AzureMlJobBackend backend, _) = Create(Options(), (200, job));

        JobStatus status = await backend.GetStatusAsync("j", CancellationToken.None);

        Assert.Equal(JobState.Failed, status.State);
        Assert.Equal("Failed (logs: https://ml.azure.com/runs/j?wsid=/subscriptions/sub-1)", status.Detail);
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
        Assert.Equal($"{Arm}{W}/jobs/tinylm-drop-abc-train-a1/cancel?{ApiVersion}", r.Uri.ToString());
    }

    [Fact]
    public void JobBody_Evaluation_MountsModelAndRunsEvaluate()
    {
        (AzureMlJobBackend backend, _) = Create(Options());
        var submission = new JobSubmission("r-eval-a1", 1, JobKind.Evaluate, ["curated/tinylm/r/"], "registry/tinylm/runs/r0/files/", "r-eval",
            "Standard_NC4as_T4_v3", true, new Dictionary<string, string>(), Evaluation: new EvaluationInputs("curated/tinylm/_evalset/", "curated/tinylm/_prompts/r/"));

        JsonNode p = backend.JobBody(submission, CodeId)["properties"]!;

        Assert.Equal("sh ngram/genai-trainer.sh evaluate --model ${{inputs.model}} --data ${{inputs.data_0}} --eval-set ${{inputs.evalset}} --prompts ${{inputs.prompts}} --out ${{outputs.model}}", (string?)p["command"]);
        Assert.Equal("azureml://datastores/registry/paths/tinylm/runs/r0/files/", (string?)p["inputs"]!["model"]!["uri"]);
        Assert.Equal("azureml://datastores/curated/paths/tinylm/_evalset/", (string?)p["inputs"]!["evalset"]!["uri"]);
        Assert.Equal("azureml://datastores/curated/paths/tinylm/_prompts/r/", (string?)p["inputs"]!["prompts"]!["uri"]);
        Assert.Null(p["outputs"]!["checkpoints"]);
    }

    [Fact]
    public void JobBody_CausalLmComponent_RunsThePythonModule()
    {
        (AzureMlJobBackend backend, _) = Create(Options());
        JobSubmission submission = Train() with { Component = "causal-lm", Hyperparameters = new Dictionary<string, string>() };

        JsonNode p = backend.JobBody(submission, CodeId)["properties"]!;

        Assert.Equal("python -m causal_lm train --data ${{inputs.data_0}} --out ${{outputs.model}} --checkpoints ${{outputs.checkpoints}}", (string?)p["command"]);
    }

    [Fact]
    public void JobBody_ComponentClusters_OverrideTheWorkspaceClustersPerPriority()
    {
        AzureMlOptions options = Options(compute: "gpu-lowpri");
        options.DedicatedComputeName = "gpu-dedicated";
        (AzureMlJobBackend backend, _) = Create(options, WithComponent(compute: "cpu-lowpri", dedicatedCompute: "cpu-dedicated", instanceType: "Standard_DS3_v2"));
        JobSubmission cpu = Train() with { Component = "cpu" };

        JsonNode spot = backend.JobBody(cpu, CodeId)["properties"]!;
        JsonNode dedicated = backend.JobBody(cpu with { Spot = false }, CodeId)["properties"]!;
        JsonNode shipped = backend.JobBody(Train(), CodeId)["properties"]!;

        Assert.Equal($"{W}/computes/cpu-lowpri", (string?)spot["computeId"]);
        Assert.Equal($"{W}/computes/cpu-dedicated", (string?)dedicated["computeId"]);
        // On a cluster the component's instance type goes nowhere: the cluster's VM size decides.
        Assert.Null(spot["resources"]!["instanceType"]);
        Assert.Equal("azureml://registries/azureml/environments/sklearn-1.5/labels/latest", (string?)spot["environmentId"]);
        // Other components keep the workspace's clusters.
        Assert.Equal($"{W}/computes/gpu-lowpri", (string?)shipped["computeId"]);
    }

    [Fact]
    public void JobBody_ComponentInstanceType_OverridesTheSelectorOnServerless()
    {
        (AzureMlJobBackend backend, _) = Create(Options(), WithComponent(instanceType: "Standard_DS3_v2"));

        JsonNode cpu = backend.JobBody(Train() with { Component = "cpu" }, CodeId)["properties"]!;
        JsonNode shipped = backend.JobBody(Train(), CodeId)["properties"]!;

        Assert.Equal("Standard_DS3_v2", (string?)cpu["resources"]!["instanceType"]);
        Assert.Equal("Spot", (string?)cpu["queueSettings"]!["jobTier"]);
        Assert.Null(cpu["computeId"]);
        Assert.Equal("Standard_NC24ads_A100_v4", (string?)shipped["resources"]!["instanceType"]);
    }

    [Fact]
    public void JobBody_ComponentSpotClusterOnly_DedicatedAttemptKeepsTheWorkspaceSetting()
    {
        (AzureMlJobBackend backend, _) = Create(Options(), WithComponent(compute: "cpu-lowpri"));

        JsonNode dedicated = backend.JobBody(Train() with { Component = "cpu", Spot = false }, CodeId)["properties"]!;

        // No dedicated cluster anywhere: serverless at the Standard tier, never the component's low-priority cluster.
        Assert.Null(dedicated["computeId"]);
        Assert.Equal("Standard", (string?)dedicated["queueSettings"]!["jobTier"]);
    }

    [Fact]
    public void JobBody_UnknownComponent_FailsNamingIt()
    {
        (AzureMlJobBackend backend, _) = Create(Options());

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => backend.JobBody(Train() with { Component = "nope" }, CodeId));

        Assert.Contains("'nope'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JobId_DerivedFromInstanceAndAttempt_MatchesArmPattern()
    {
        Assert.Matches("^[a-zA-Z0-9][a-zA-Z0-9\\-_]{0,254}$", Train(attempt: 3).JobId);
        _ = JsonSerializer.Serialize(Train());
    }
}
