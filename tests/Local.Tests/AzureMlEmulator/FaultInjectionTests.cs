using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>The control API's faults: HTTP errors on matching calls, failed long-running operations, failed
/// provisioning, failing and slow scoring.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class FaultInjectionTests(EmulatorFixture fixture) : IAsyncLifetime
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await fixture.Http.DeleteAsync("_emulator/faults");

    [Theory]
    [InlineData(409, "Conflict", null)]
    [InlineData(429, "TooManyRequests", 3)]
    [InlineData(500, "InternalServerError", null)]
    [InlineData(503, "ServiceUnavailable", 2)]
    public async Task HttpFault_NextTwoMatchingCalls_AnswerTheStatusThenNormal(int status, string code, int? retryAfter)
    {
        string job = $"faulted-{status}";
        await ControlAsync("_emulator/faults/http", $$"""
            {"method":"GET","pathPattern":"/jobs/{{job}}$","status":{{status}},"count":2{{(retryAfter is null ? "" : $",\"retryAfterSeconds\":{retryAfter}")}}}
            """);

        ArmResponse first = await arm.GetAsync($"jobs/{job}");
        ArmResponse second = await arm.GetAsync($"jobs/{job}");
        ArmResponse third = await arm.GetAsync($"jobs/{job}");

        Assert.Equal((HttpStatusCode)status, first.Status);
        Assert.Equal(code, first.ErrorCode);
        Assert.Equal(retryAfter?.ToString(System.Globalization.CultureInfo.InvariantCulture), first.Header("Retry-After"));
        Assert.Equal((HttpStatusCode)status, second.Status);
        Assert.Equal(HttpStatusCode.NotFound, third.Status);
    }

    [Fact]
    public async Task LroFault_EndpointPut_OperationEndsFailedAndTheEndpointFailed()
    {
        string name = $"ep-{Guid.NewGuid():N}"[..16];
        await ControlAsync("_emulator/faults/lro", $$"""{"method":"PUT","pathPattern":"/onlineEndpoints/{{name}}$","code":"QuotaExceeded","message":"no capacity in region"}""");

        ArmResponse put = await arm.PutAsync($"onlineEndpoints/{name}", """{"location":"eastus","properties":{"authMode":"Key"}}""");
        JsonObject done = await arm.WaitForAsyncOperationAsync(put);

        Assert.Equal(HttpStatusCode.Created, put.Status);
        Assert.Equal("Failed", done["status"]!.GetValue<string>());
        Assert.Equal("QuotaExceeded", done["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Failed", (await arm.GetAsync($"onlineEndpoints/{name}")).Body!["properties"]!["provisioningState"]!.GetValue<string>());
    }

    [Fact]
    public async Task ProvisioningFault_Deployment_FailsAsIfInitRaised()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await ControlAsync($"_emulator/endpoints/{endpoint.Name}/deployments/blue/provisioning-failure", """{"message":"OSError: out of GPU memory"}""", HttpStatusCode.NoContent);

        JsonObject failed = await endpoint.DeployAsync("blue");
        ArmResponse logs = await arm.PostAsync($"{endpoint.Path}/deployments/blue/getLogs", """{"containerType":"InferenceServer","tail":10}""");
        JsonObject retried = await endpoint.DeployAsync("blue");

        Assert.Equal("Failed", failed["status"]!.GetValue<string>());
        Assert.Contains("OSError: out of GPU memory", failed["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("OSError: out of GPU memory", logs.Body!["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Succeeded", retried["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ScoringFault_HalfFailWithLatency_ExactlyHalfFailAndAllAreSlow()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await endpoint.DeployAsync("blue");
        await endpoint.SetTrafficAsync("""{"blue":100}""");
        using (HttpResponseMessage set = await fixture.Http.PutAsync($"_emulator/endpoints/{endpoint.Name}/deployments/blue/scoring-fault",
            new StringContent("""{"failureRate":0.5,"status":503,"latencyMs":100}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var answers = new List<ScoreResult>();
        for (int i = 0; i < 10; i++)
        {
            answers.Add(await endpoint.ScoreAsync("{}"));
        }

        Assert.Equal(5, answers.Count(a => a.Status == HttpStatusCode.ServiceUnavailable));
        Assert.Equal(5, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.True(watch.ElapsedMilliseconds >= 1000, $"10 requests with 100 ms of added latency took {watch.ElapsedMilliseconds} ms");
        Assert.Equal(5, EchoEndpoint.Sum(await endpoint.MetricsAsync("RequestsPerMinute", "Total", "statusCode eq '503'"), "total"));
    }

    async Task ControlAsync(string path, string json, HttpStatusCode expected = HttpStatusCode.Created)
    {
        using HttpResponseMessage response = await fixture.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(expected, response.StatusCode);
    }
}
