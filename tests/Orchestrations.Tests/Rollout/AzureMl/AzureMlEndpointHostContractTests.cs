using System.Net;
using System.Text.Json.Nodes;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Rollout;
using GenAiServerless.Rollout.AzureMl;
using GenAiServerless.Tests.Orchestrations.Platform.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using static GenAiServerless.Tests.Orchestrations.Platform.AzureMl.ArmContract;

namespace GenAiServerless.Tests.Orchestrations.Rollout.AzureMl;

/// <summary>The Azure ML endpoint host against the exact shapes of the managed online endpoint REST API (2025-12-01):
/// every request's method, URI and body, and how the answers map to the rollout's view.</summary>
public sealed class AzureMlEndpointHostContractTests : IDisposable
{
    const string Ep = W + "/onlineEndpoints/tinylm";
    const string ScoringUri = "https://tinylm.eastus.inference.ml.azure.com/score";

    readonly string folder;
    readonly string codeVersion;

    public AzureMlEndpointHostContractTests() => (folder, codeVersion) = ComponentsFolder();

    public void Dispose() => Directory.Delete(folder, recursive: true);

    static readonly DeployableModel Model = new("tinylm", 3, "registry/tinylm/runs/r1/files/");

    (AzureMlEndpointHost Host, RecordingTransport Arm, RecordingTransport Scoring) Create(AzureMlOptions? options = null)
    {
        var arm = new RecordingTransport();
        var scoring = new RecordingTransport();
        AzureMlClient client = Client(arm, options);
        return (new AzureMlEndpointHost(client, new AzureMlCodeAsset(client, folder), ArmContract.Scoring(scoring), new NoCredential(), TimeProvider.System), arm, scoring);
    }

    static string Endpoint(string traffic, string mirror = "{}", string authMode = "Key") =>
        "{\"id\":\"" + Ep + "\",\"name\":\"tinylm\",\"type\":\"Microsoft.MachineLearningServices/workspaces/onlineEndpoints\",\"location\":\"eastus\","
        + "\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":\"p1\",\"tenantId\":\"t1\"},\"tags\":{\"model\":\"tinylm\"},"
        + "\"properties\":{\"authMode\":\"" + authMode + "\",\"provisioningState\":\"Succeeded\",\"scoringUri\":\"" + ScoringUri + "\","
        + "\"swaggerUri\":\"https://tinylm.eastus.inference.ml.azure.com/swagger.json\",\"publicNetworkAccess\":\"Enabled\","
        + "\"traffic\":" + traffic + ",\"mirrorTraffic\":" + mirror + "},"
        + "\"systemData\":{\"createdAt\":\"2026-12-05T10:00:00Z\"}}";

    static string Deployment(string name, string state, int version) =>
        "{\"id\":\"" + Ep + "/deployments/" + name + "\",\"name\":\"" + name + "\",\"properties\":{\"provisioningState\":\"" + state
        + "\",\"model\":\"" + W + "/models/tinylm/versions/" + version.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"}}";

    static string Json(string text) => JsonNode.Parse(text)!.ToJsonString();

    [Fact]
    public async Task CreateDeploymentAsync_NoEndpointYet_CreatesItThenPutsTheDeployment()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(404, Error("ResourceNotFound", "no endpoint"))
            .Then(201, "{}", AsyncOperation("op1")).Then(200, "{\"status\":\"Succeeded\"}")
            .Then(404, "{}")
            .Then(200, "{\"properties\":{}}")
            .Then(200, "{\"properties\":{}}")
            .Then(201, Deployment("v3-abc", "Creating", 3));

        await host.CreateDeploymentAsync(new DeploymentSpec("tinylm", "v3-abc", Model), CancellationToken.None);

        Assert.Equal(["GET", "PUT", "GET", "GET", "GET", "GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{Ep}?{ApiVersion}", arm.RequestUris[1]);
        JsonNode endpoint = JsonNode.Parse(arm.Requests[1].Body!)!;
        Assert.Equal("eastus", (string?)endpoint["location"]);
        Assert.Equal("SystemAssigned", (string?)endpoint["identity"]!["type"]);
        Assert.Equal("Key", (string?)endpoint["properties"]!["authMode"]);
        Assert.Equal("{}", endpoint["properties"]!["traffic"]!.ToJsonString());
        Assert.Contains("mfeOperationsStatus/op1", arm.RequestUris[2], StringComparison.Ordinal);
        Assert.Equal($"{Arm}{Ep}/deployments/v3-abc?{ApiVersion}", arm.RequestUris[3]);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/3?{ApiVersion}", arm.RequestUris[4]);
        Assert.Equal($"{Arm}{W}/codes/genai-components/versions/{codeVersion}?{ApiVersion}", arm.RequestUris[5]);

        Assert.Equal($"{Arm}{Ep}/deployments/v3-abc?{ApiVersion}", arm.RequestUris[6]);
        JsonNode d = JsonNode.Parse(arm.Requests[6].Body!)!;
        Assert.Equal("eastus", (string?)d["location"]);
        Assert.Equal(1, (int?)d["sku"]!["capacity"]);
        JsonNode p = d["properties"]!;
        Assert.Equal("Managed", (string?)p["endpointComputeType"]);
        Assert.Equal("Standard_DS3_v2", (string?)p["instanceType"]);
        Assert.Equal($"{W}/models/tinylm/versions/3", (string?)p["model"]);
        Assert.Equal($"{W}/codes/genai-components/versions/{codeVersion}", (string?)p["codeConfiguration"]!["codeId"]);
        Assert.Equal("score.py", (string?)p["codeConfiguration"]!["scoringScript"]);
        Assert.Equal("azureml://registries/azureml/environments/minimal-py311-inference/labels/latest", (string?)p["environmentId"]);
        Assert.Equal("PT30S", (string?)p["requestSettings"]!["requestTimeout"]);
        Assert.Equal(1, (int?)p["requestSettings"]!["maxConcurrentRequestsPerInstance"]);
        Assert.Equal("PT30S", (string?)p["livenessProbe"]!["initialDelay"]);
        Assert.Equal("PT10S", (string?)p["readinessProbe"]!["period"]);
        Assert.Equal("Default", (string?)p["scaleSettings"]!["scaleType"]);
    }

    [Fact]
    public async Task CreateDeploymentAsync_ModelAssetMissing_RegistersItOverTheRegistryFiles()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{}")).Then(404, "{}").Then(404, "{}").Then(201, "{}").Then(200, "{}").Then(201, "{}");

        await host.CreateDeploymentAsync(new DeploymentSpec("tinylm", "v3-abc", Model), CancellationToken.None);

        Assert.Equal(["GET", "GET", "GET", "PUT", "GET", "PUT"], arm.Methods);
        Assert.Equal($"{Arm}{W}/models/tinylm/versions/3?{ApiVersion}", arm.RequestUris[3]);
        JsonNode p = JsonNode.Parse(arm.Requests[3].Body!)!["properties"]!;
        Assert.Equal("azureml://datastores/registry/paths/tinylm/runs/r1/files/", (string?)p["modelUri"]);
        Assert.Equal("custom_model", (string?)p["modelType"]);
    }

    [Fact]
    public async Task CreateDeploymentAsync_DeploymentExists_ChangesNothing()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{}")).Then(200, Deployment("v3-abc", "Creating", 3));

        await host.CreateDeploymentAsync(new DeploymentSpec("tinylm", "v3-abc", Model), CancellationToken.None);

        Assert.Equal(["GET", "GET"], arm.Methods);
    }

    [Fact]
    public void EndpointBody_UserAssignedIdentityAndAadAuth_GoIntoTheEndpoint()
    {
        AzureMlOptions options = Options();
        options.EndpointIdentityId = "/subscriptions/sub-1/resourceGroups/rg-genai/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-endpoint";
        options.EndpointAuthMode = "AADToken";
        (AzureMlEndpointHost host, _, _) = Create(options);

        JsonNode body = host.EndpointBody("tinylm");

        Assert.Equal("UserAssigned", (string?)body["identity"]!["type"]);
        Assert.NotNull(body["identity"]!["userAssignedIdentities"]![options.EndpointIdentityId]);
        Assert.Equal("AADToken", (string?)body["properties"]!["authMode"]);
    }

    [Fact]
    public async Task GetEndpointAsync_FailedDeployment_CarriesTheTailOfItsLogs()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100,\"v3-b\":0}"))
            .Then(200, $"{{\"value\":[{Deployment("v3-b", "Failed", 3)},{Deployment("v2-a", "Succeeded", 2)}]}}")
            .Then(200, "{\"content\":\"Traceback (most recent call last):\\nRuntimeError: no model under AZUREML_MODEL_DIR\"}");

        EndpointInfo info = await host.GetEndpointAsync("tinylm", CancellationToken.None);

        Assert.Equal(["v2-a", "v3-b"], info.Deployments.Select(d => d.Name));
        Assert.Equal(DeploymentProvisioning.Succeeded, info.Deployments[0].State);
        Assert.Equal(2, info.Deployments[0].ModelVersion);
        Assert.Equal(DeploymentProvisioning.Failed, info.Deployments[1].State);
        Assert.Contains("RuntimeError: no model under AZUREML_MODEL_DIR", info.Deployments[1].Detail, StringComparison.Ordinal);
        Assert.Equal(new Dictionary<string, int> { ["v2-a"] = 100 }, info.Traffic);
        Assert.Equal($"{Arm}{Ep}/deployments?{ApiVersion}", arm.RequestUris[1]);
        Assert.Equal($"{Arm}{Ep}/deployments/v3-b/getLogs?{ApiVersion}", arm.RequestUris[2]);
        Assert.Equal(Json("{\"containerType\":\"InferenceServer\",\"tail\":30}"), Json(arm.Requests[2].Body!));
    }

    [Fact]
    public async Task GetEndpointAsync_NoEndpoint_IsEmpty()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(404, Error("ResourceNotFound", "none"));

        EndpointInfo info = await host.GetEndpointAsync("tinylm", CancellationToken.None);

        Assert.Empty(info.Deployments);
        Assert.Empty(info.Traffic);
    }

    [Fact]
    public async Task SetTrafficAsync_ReadsEditsAndPutsTheEndpointThenWaits()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{}", AsyncOperation("op2")).Then(200, "{\"status\":\"Succeeded\"}");

        // A shadow stage: the live deployment keeps every request, the candidate gets a mirrored 20 % and no live traffic
        // (Azure ML refuses a deployment that takes both). A zero weight is left out of the map.
        await host.SetTrafficAsync(new TrafficSplit("tinylm", new Dictionary<string, int> { ["v3-b"] = 0, ["v2-a"] = 100 }, new Dictionary<string, int> { ["v3-b"] = 20 }), CancellationToken.None);

        Assert.Equal(["GET", "PUT", "GET"], arm.Methods);
        JsonNode put = JsonNode.Parse(arm.Requests[1].Body!)!;
        Assert.Equal(Json("{\"v2-a\":100}"), put["properties"]!["traffic"]!.ToJsonString());
        Assert.Equal(Json("{\"v3-b\":20}"), put["properties"]!["mirrorTraffic"]!.ToJsonString());
        Assert.Equal("Key", (string?)put["properties"]!["authMode"]);
        Assert.Equal("eastus", (string?)put["location"]);
        Assert.Equal("SystemAssigned", (string?)put["identity"]!["type"]);
        Assert.Null(put["properties"]!["provisioningState"]);
        Assert.Null(put["properties"]!["scoringUri"]);
        Assert.Null(put["id"]);
        Assert.Null(put["systemData"]);
    }

    [Fact]
    public async Task SetTrafficAsync_SplitTrafficWithoutMirror_PutsBothWeights()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{}", AsyncOperation("op2")).Then(200, "{\"status\":\"Succeeded\"}");

        await host.SetTrafficAsync(new TrafficSplit("tinylm", new Dictionary<string, int> { ["v3-b"] = 10, ["v2-a"] = 90 }), CancellationToken.None);

        JsonNode put = JsonNode.Parse(arm.Requests[1].Body!)!;
        Assert.Equal(Json("{\"v2-a\":90,\"v3-b\":10}"), put["properties"]!["traffic"]!.ToJsonString());
        Assert.Equal("{}", put["properties"]!["mirrorTraffic"]!.ToJsonString());
    }

    [Fact]
    public async Task SetTrafficAsync_MirrorToADeploymentWithLiveTraffic_IsRefusedBeforeAnyRequest()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();

        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => host.SetTrafficAsync(
            new TrafficSplit("tinylm", new Dictionary<string, int> { ["v3-b"] = 10, ["v2-a"] = 90 }, new Dictionary<string, int> { ["v3-b"] = 20 }), CancellationToken.None));

        Assert.Contains("deployment v3-b", e.Message, StringComparison.Ordinal);
        Assert.Contains("10 % live traffic and 20 % mirrored", e.Message, StringComparison.Ordinal);
        Assert.Equal("split", e.ParamName);
        Assert.Empty(arm.Requests);
    }

    [Theory]
    [InlineData(60, 0)]
    [InlineData(30, 30)]
    public async Task SetTrafficAsync_MirrorAboveHalf_IsRefusedBeforeAnyRequest(int first, int second)
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        var mirror = new Dictionary<string, int> { ["v3-b"] = first, ["v4-c"] = second };

        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => host.SetTrafficAsync(
            new TrafficSplit("tinylm", new Dictionary<string, int> { ["v2-a"] = 100 }, mirror), CancellationToken.None));

        Assert.Contains("50 %", e.Message, StringComparison.Ordinal);
        Assert.Empty(arm.Requests);
    }

    [Fact]
    public async Task SetTrafficAsync_NotSummingTo100_FailsBeforeAnyRequest()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.SetTrafficAsync(new TrafficSplit("tinylm", new Dictionary<string, int> { ["a"] = 60, ["b"] = 30 }), CancellationToken.None));

        Assert.Empty(arm.Requests);
    }

    [Fact]
    public async Task DeleteDeploymentAsync_NoTraffic_DeletesAndWaits()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{\"v3-b\":100}")).Then(202, string.Empty, Location("op3")).Then(204, string.Empty);

        await host.DeleteDeploymentAsync(new DeploymentRef("tinylm", "v2-a"), CancellationToken.None);

        Assert.Equal(["GET", "DELETE", "GET"], arm.Methods);
        Assert.Equal($"{Arm}{Ep}/deployments/v2-a?{ApiVersion}", arm.RequestUris[1]);
        Assert.Contains("mfeOperationResults/op3", arm.RequestUris[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteDeploymentAsync_TheOnlyTrafficAndMirror_MovesItToZeroFirst()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{\"v3-b\":100}", "{\"v3-b\":10}"))
            .Then(200, Endpoint("{\"v3-b\":100}", "{\"v3-b\":10}")).Then(200, "{}", AsyncOperation("op4")).Then(200, "{\"status\":\"Succeeded\"}")
            .Then(202, string.Empty, Location("op5")).Then(204, string.Empty);

        await host.DeleteDeploymentAsync(new DeploymentRef("tinylm", "v3-b"), CancellationToken.None);

        Assert.Equal(["GET", "GET", "PUT", "GET", "DELETE", "GET"], arm.Methods);
        JsonNode put = JsonNode.Parse(arm.Requests[2].Body!)!;
        Assert.Equal("{}", put["properties"]!["traffic"]!.ToJsonString());
        Assert.Equal("{}", put["properties"]!["mirrorTraffic"]!.ToJsonString());
    }

    [Fact]
    public async Task DeleteDeploymentAsync_SharesTraffic_RefusesNamingTheShare()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{\"v3-b\":40,\"v2-a\":60}"));

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.DeleteDeploymentAsync(new DeploymentRef("tinylm", "v3-b"), CancellationToken.None));

        Assert.Contains("40%", e.Message, StringComparison.Ordinal);
        Assert.Single(arm.Requests);
    }

    [Fact]
    public async Task DeleteDeploymentAsync_AlreadyGone_Succeeds()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, _) = Create();
        arm.Then(200, Endpoint("{}")).Then(404, Error("ResourceNotFound", "gone"));

        await host.DeleteDeploymentAsync(new DeploymentRef("tinylm", "v2-a"), CancellationToken.None);

        Assert.Equal(["GET", "DELETE"], arm.Methods);
    }

    [Fact]
    public async Task ScoreAsync_KeyAuth_PostsThePromptWithTheKeyAndThePin()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"key-1\",\"secondaryKey\":\"key-2\"}");
        scoring.Then(200, "{\"completion\":\"of the model\"}", new Dictionary<string, string> { ["azureml-model-deployment"] = "v3-b" });

        ScoreResult result = await host.ScoreAsync("tinylm", "the model", "v3-b", CancellationToken.None);

        Assert.Equal(new ScoreResult("v3-b", "of the model"), result);
        Assert.Equal($"{Arm}{Ep}/listKeys?{ApiVersion}", arm.RequestUris[1]);
        Assert.Equal("POST", arm.Methods[1]);
        RecordedRequest score = Assert.Single(scoring.Requests);
        Assert.Equal(ScoringUri, score.Uri.ToString());
        Assert.Equal("Bearer key-1", score.Headers["Authorization"]);
        Assert.Equal("v3-b", score.Headers["azureml-model-deployment"]);
        Assert.Equal(Json("{\"prompt\":\"the model\"}"), Json(score.Body!));
    }

    [Fact]
    public async Task ScoreAsync_SecondCall_ReusesTheKey()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"key-1\"}");
        scoring.Then(200, "{\"completion\":\"a\"}").Then(200, "{\"completion\":\"b\"}");

        await host.ScoreAsync("tinylm", "x", null, CancellationToken.None);
        ScoreResult second = await host.ScoreAsync("tinylm", "x", null, CancellationToken.None);

        Assert.Equal("b", second.Completion);
        Assert.Equal(2, arm.Requests.Count);
    }

    [Fact]
    public async Task ScoreAsync_KeyRotated_ReadsTheKeysAgainOnce()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"old\"}")
            .Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"new\"}");
        scoring.Then(401, "{}").Then(200, "{\"completion\":\"ok\"}");

        ScoreResult result = await host.ScoreAsync("tinylm", "x", null, CancellationToken.None);

        Assert.Equal("ok", result.Completion);
        Assert.Equal("Bearer new", scoring.Requests[1].Headers["Authorization"]);
    }

    [Fact]
    public async Task ScoreAsync_ModelRaised_ThrowsWithStatusAndModelError()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"k\"}");
        scoring.Then(424, "{\"message\":\"An unexpected error occurred in scoring script.\"}", new Dictionary<string, string>
        {
            ["azureml-model-deployment"] = "v3-b",
            ["ms-azureml-model-error-statuscode"] = "500",
            ["ms-azureml-model-error-reason"] = "model_error",
        });

        HttpRequestException e = await Assert.ThrowsAsync<HttpRequestException>(() => host.ScoreAsync("tinylm", "x", "v3-b", CancellationToken.None));

        Assert.Equal(HttpStatusCode.FailedDependency, e.StatusCode);
        Assert.Contains("v3-b", e.Message, StringComparison.Ordinal);
        Assert.Contains("model_error", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreAsync_ScriptRefusedTheRequest_ThrowsItsError()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"k\"}");
        scoring.Then(200, "\"{\\\"error\\\": \\\"field 'prompt' is missing or empty\\\"}\"");

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.ScoreAsync("tinylm", " ", null, CancellationToken.None));

        Assert.Contains("field 'prompt' is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreLossAsync_PostsExactlyTheTextPinnedAndReadsBitsAndBytes()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"key-1\"}");
        // The inference server wraps the dict score.py returns as it is; a returned string it wraps once more.
        scoring.Then(200, "{\"bits\": 123.5, \"bytes\": 40}", new Dictionary<string, string> { ["azureml-model-deployment"] = "v3-b" })
            .Then(200, "\"{\\\"bits\\\": 80.25, \\\"bytes\\\": 40}\"");

        LossScore loss = await host.ScoreLossAsync("tinylm", "the model ✓", "v3-b", CancellationToken.None);
        LossScore wrapped = await host.ScoreLossAsync("tinylm", "the model ✓", "v2-a", CancellationToken.None);

        Assert.Equal(new LossScore("v3-b", 123.5, 40), loss);
        Assert.Equal(new LossScore("v2-a", 80.25, 40), wrapped);
        RecordedRequest score = scoring.Requests[0];
        Assert.Equal(ScoringUri, score.Uri.ToString());
        Assert.Equal("Bearer key-1", score.Headers["Authorization"]);
        Assert.Equal("v3-b", score.Headers["azureml-model-deployment"]);
        Assert.Equal(Json("{\"text\":\"the model \\u2713\"}"), Json(score.Body!));
        Assert.Equal("v2-a", scoring.Requests[1].Headers["azureml-model-deployment"]);
    }

    [Fact]
    public async Task ScoreLossAsync_ScriptWithoutLossSupport_ThrowsItsError()
    {
        (AzureMlEndpointHost host, RecordingTransport arm, RecordingTransport scoring) = Create();
        arm.Then(200, Endpoint("{\"v2-a\":100}")).Then(200, "{\"primaryKey\":\"k\"}");
        scoring.Then(200, "{\"error\": \"field 'prompt' is missing or empty\"}").Then(200, "{\"completion\": \"x\"}");

        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.ScoreLossAsync("tinylm", "a text", "v2-a", CancellationToken.None));
        InvalidOperationException noLoss = await Assert.ThrowsAsync<InvalidOperationException>(() => host.ScoreLossAsync("tinylm", "a text", "v2-a", CancellationToken.None));

        Assert.Contains("field 'prompt' is missing", refused.Message, StringComparison.Ordinal);
        Assert.Contains("no loss in the answer", noLoss.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndpointName_PrefixAndModel_FollowAzureRules()
    {
        AzureMlOptions options = Options();
        options.EndpointPrefix = "Prod_";
        (AzureMlEndpointHost host, _, _) = Create(options);

        Assert.Equal("prod-tinylm", host.EndpointName("tinylm"));
        Assert.Equal(32, host.EndpointName(new string('m', 40)).Length);
        Assert.Throws<ArgumentException>(() => Create().Host.EndpointName("7b"));
    }

    [Theory]
    [InlineData("Creating", DeploymentProvisioning.Creating)]
    [InlineData("Updating", DeploymentProvisioning.Creating)]
    [InlineData("Scaling", DeploymentProvisioning.Creating)]
    [InlineData("Succeeded", DeploymentProvisioning.Succeeded)]
    [InlineData("Failed", DeploymentProvisioning.Failed)]
    [InlineData("Canceled", DeploymentProvisioning.Failed)]
    [InlineData("Deleting", DeploymentProvisioning.Deleting)]
    [InlineData("SomethingNew", DeploymentProvisioning.Creating)]
    public void MapProvisioning_EveryDocumentedValue_Maps(string state, DeploymentProvisioning expected) =>
        Assert.Equal(expected, AzureMlEndpointHost.MapProvisioning(state));

    sealed class NoCredential : Azure.Core.TokenCredential
    {
        public override Azure.Core.AccessToken GetToken(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no token in a key-auth test");

        public override ValueTask<Azure.Core.AccessToken> GetTokenAsync(Azure.Core.TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no token in a key-auth test");
    }
}
