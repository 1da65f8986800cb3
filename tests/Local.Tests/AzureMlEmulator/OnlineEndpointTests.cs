using System.Net;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>Online endpoints and deployments as long-running ARM operations: polling, traffic rules, a failing init(),
/// scaling, and deletion.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class OnlineEndpointTests(EmulatorFixture fixture)
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    [Fact]
    public async Task PutEndpointAndDeployment_PolledThroughAzureAsyncOperation_SucceedAndServe()
    {
        string codeId = await arm.UploadCodeAsync("echo", "1", ("echo_score.py", EmulatorFixture.Fixture("echo_score.py")));
        string modelUri = await arm.UploadDataAsync($"models/echo/{Guid.NewGuid():N}/model", ("model.json", """{"name":"echo-model"}"""));
        string modelId = (await arm.PutAsync("models/echo/versions/1", $$"""{"properties":{"modelUri":"{{modelUri}}"} }""")).Body!["id"]!.GetValue<string>();
        string name = $"ep-{Guid.NewGuid():N}"[..16];
        var endpoint = new EchoEndpoint(arm, name, codeId, modelId);

        ArmResponse created = await endpoint.PutAsync("{}");
        JsonObject endpointDone = await arm.WaitForAsyncOperationAsync(created);
        ArmResponse deploymentCreated = await endpoint.PutDeploymentAsync("blue");
        string creatingState = deploymentCreated.Body!["properties"]!["provisioningState"]!.GetValue<string>();
        JsonObject deploymentDone = await arm.WaitForAsyncOperationAsync(deploymentCreated);
        ArmResponse deployment = await arm.GetAsync($"{endpoint.Path}/deployments/blue");
        ArmResponse traffic = await endpoint.PutAsync("""{"blue":100}""");
        await arm.WaitForAsyncOperationAsync(traffic);
        ArmResponse got = await arm.GetAsync(endpoint.Path);

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("Creating", created.Body!["properties"]!["provisioningState"]!.GetValue<string>());
        Assert.StartsWith(fixture.Server.BaseUri.AbsoluteUri, created.Header("Azure-AsyncOperation"), StringComparison.Ordinal);
        Assert.Equal("Succeeded", endpointDone["status"]!.GetValue<string>());
        Assert.Equal("Creating", creatingState);
        Assert.Equal("Succeeded", deploymentDone["status"]!.GetValue<string>());
        Assert.Equal("Succeeded", deployment.Body!["properties"]!["provisioningState"]!.GetValue<string>());
        Assert.Equal(1, deployment.Body["sku"]!["capacity"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.Created, traffic.Status);
        Assert.Equal("Updating", traffic.Body!["properties"]!["provisioningState"]!.GetValue<string>());
        Assert.Equal(100, got.Body!["properties"]!["traffic"]!["blue"]!.GetValue<int>());
        Assert.NotNull(got.Body["identity"]!["principalId"]);
        string key = (await arm.PostAsync($"{endpoint.Path}/listKeys")).Body!["primaryKey"]!.GetValue<string>();
        ScoreResult scored = await endpoint.WithKey(key, got.Body["properties"]!["scoringUri"]!.GetValue<string>()).ScoreAsync("""{"input":[1,2,3]}""");
        Assert.Equal(HttpStatusCode.OK, scored.Status);
        Assert.Equal("blue", scored.Deployment);
        JsonNode answer = JsonNode.Parse(scored.Body)!;
        Assert.Equal("echo-model", answer["model"]!.GetValue<string>());
        Assert.Equal(3, answer["echo"]!["input"]!.AsArray().Count);
    }

    [Fact]
    public async Task PutEndpoint_TrafficOutsideTheRules_Answers400_PatchIgnoresTraffic()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await endpoint.DeployAsync("blue");
        await endpoint.DeployAsync("green");
        await endpoint.SetTrafficAsync("""{"blue":100}""");

        ArmResponse unknown = await endpoint.PutAsync("""{"blue":90,"nosuch":10}""");
        ArmResponse notHundred = await endpoint.PutAsync("""{"blue":90}""");
        ArmResponse mirrorLive = await endpoint.PutAsync("""{"blue":100}""", """{"blue":10}""");
        ArmResponse mirrorTooMuch = await endpoint.PutAsync("""{"blue":100}""", """{"green":60}""");
        ArmResponse patch = await arm.PatchAsync(endpoint.Path, """{"tags":{"owner":"tests"},"properties":{"traffic":{"green":100}}}""");
        ArmResponse patched = await arm.WaitForLocationAsync(patch);

        Assert.Equal("properties.traffic.nosuch", unknown.Body!["error"]!["target"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, notHundred.Status);
        Assert.Equal("properties.mirrorTraffic.blue", mirrorLive.Body!["error"]!["target"]!.GetValue<string>());
        Assert.Equal("properties.mirrorTraffic.green", mirrorTooMuch.Body!["error"]!["target"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, patch.Status);
        Assert.Equal(HttpStatusCode.OK, patched.Status);
        Assert.Equal("tests", patched.Body!["tags"]!["owner"]!.GetValue<string>());
        Assert.Equal(100, patched.Body["properties"]!["traffic"]!["blue"]!.GetValue<int>());
        Assert.Null(patched.Body["properties"]!["traffic"]!["green"]);
    }

    [Fact]
    public async Task PutDeployment_InitRaises_OperationFailsNamingTheErrorAndGetLogsShowsTheTraceback()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);

        JsonObject failed = await endpoint.DeployAsync("broken", environment: ""","ECHO_FAIL_INIT":"boom from init" """);
        ArmResponse deployment = await arm.GetAsync($"{endpoint.Path}/deployments/broken");
        ArmResponse logs = await arm.PostAsync($"{endpoint.Path}/deployments/broken/getLogs", """{"containerType":"InferenceServer","tail":50}""");
        ArmResponse storage = await arm.PostAsync($"{endpoint.Path}/deployments/broken/getLogs", """{"containerType":"StorageInitializer"}""");
        ArmResponse withTraffic = await endpoint.PutAsync("""{"broken":100}""");

        Assert.Equal("Failed", failed["status"]!.GetValue<string>());
        Assert.Equal("ResourceNotReady", failed["error"]!["code"]!.GetValue<string>());
        Assert.Contains("ValueError: boom from init", failed["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Failed", deployment.Body!["properties"]!["provisioningState"]!.GetValue<string>());
        string content = logs.Body!["content"]!.GetValue<string>();
        Assert.Contains("Traceback", content, StringComparison.Ordinal);
        Assert.Contains("ValueError: boom from init", content, StringComparison.Ordinal);
        Assert.Contains("Downloading model", storage.Body!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, withTraffic.Status);
    }

    [Fact]
    public async Task PutDeployment_ModelVersionMissing_OperationFailsNamingTheModel()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        string missing = arm.Id("models/echo/versions/99");

        ArmResponse put = await endpoint.PutDeploymentAsync("orphan", modelId: missing);
        JsonObject failed = await arm.WaitForAsyncOperationAsync(put);

        Assert.Equal(HttpStatusCode.Created, put.Status);
        Assert.Equal("Failed", failed["status"]!.GetValue<string>());
        Assert.Contains(missing, failed["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteDeployment_WhileTakingTraffic_409_ThenWithoutTraffic_DeletedWithItsEndpoint()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await endpoint.DeployAsync("blue");
        await endpoint.DeployAsync("green");
        await endpoint.SetTrafficAsync("""{"blue":100}""", """{"green":10}""");

        ArmResponse refusedLive = await arm.DeleteAsync($"{endpoint.Path}/deployments/blue");
        ArmResponse refusedMirror = await arm.DeleteAsync($"{endpoint.Path}/deployments/green");
        await endpoint.SetTrafficAsync("""{"blue":100}""");
        ArmResponse deleted = await arm.DeleteAsync($"{endpoint.Path}/deployments/green");
        ArmResponse deletedDone = await arm.WaitForLocationAsync(deleted);
        ArmResponse endpointDeleted = await arm.DeleteAsync(endpoint.Path);
        ArmResponse endpointDone = await arm.WaitForLocationAsync(endpointDeleted);

        Assert.Equal(HttpStatusCode.Conflict, refusedLive.Status);
        Assert.Equal(HttpStatusCode.Conflict, refusedMirror.Status);
        Assert.Equal(HttpStatusCode.Accepted, deleted.Status);
        Assert.Equal(HttpStatusCode.NoContent, deletedDone.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await arm.GetAsync($"{endpoint.Path}/deployments/green")).Status);
        Assert.Equal(HttpStatusCode.Accepted, endpointDeleted.Status);
        Assert.Equal(HttpStatusCode.NoContent, endpointDone.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await arm.GetAsync(endpoint.Path)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await endpoint.ScoreAsync("{}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await arm.DeleteAsync(endpoint.Path)).Status);
    }

    [Fact]
    public async Task PatchDeployment_Capacity_ScalesTheInstances()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await endpoint.DeployAsync("blue");
        await endpoint.SetTrafficAsync("""{"blue":100}""");

        ArmResponse patch = await arm.PatchAsync($"{endpoint.Path}/deployments/blue", """{"sku":{"capacity":2}}""");
        ArmResponse done = await arm.WaitForLocationAsync(patch);
        ArmResponse capacity = await endpoint.MetricsAsync("DeploymentCapacity", "Maximum", deployment: "blue");
        ScoreResult[] answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => endpoint.ScoreAsync("""{"sleep":0.2}""")));

        Assert.Equal(HttpStatusCode.Accepted, patch.Status);
        Assert.Equal(2, done.Body!["sku"]!["capacity"]!.GetValue<int>());
        Assert.Equal("Succeeded", done.Body["properties"]!["provisioningState"]!.GetValue<string>());
        Assert.Equal(2, capacity.Body!["value"]![0]!["timeseries"]![0]!["data"]![0]!["maximum"]!.GetValue<double>());
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
    }
}
