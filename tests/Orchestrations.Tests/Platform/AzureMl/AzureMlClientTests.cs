using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using static GenAiServerless.Tests.Orchestrations.Platform.AzureMl.ArmContract;

namespace GenAiServerless.Tests.Orchestrations.Platform.AzureMl;

/// <summary>How every Azure ML adapter meets ARM's errors: each one becomes a bounded retry or an exception that names
/// the resource and the service's message; none is swallowed, none retried forever.</summary>
public sealed class AzureMlClientTests
{
    [Fact]
    public async Task SendAsync_BadRequest_ThrowsNamingResourceCodeAndMessage()
    {
        var transport = new RecordingTransport((400, Error("UserError", "instanceType is not supported")));

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(
            () => Client(transport).SendAsync(RequestMethod.Put, "jobs/j1", new JsonObject(), [200, 201], CancellationToken.None));

        Assert.Equal(400, e.Status);
        Assert.Equal("UserError", e.ErrorCode);
        Assert.Contains("jobs/j1", e.Message, StringComparison.Ordinal);
        Assert.Contains("instanceType is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_ConflictThenSuccess_RetriesAfterTheServiceWait()
    {
        var transport = new RecordingTransport().Then(409, Error("Conflict", "an operation is in progress"), new Dictionary<string, string> { ["Retry-After"] = "0" }).Then(200, "{}");

        ArmResponse response = await Client(transport).SendAsync(RequestMethod.Put, "onlineEndpoints/e", new JsonObject(), [200], CancellationToken.None);

        Assert.Equal(200, response.Status);
        Assert.Equal(["PUT", "PUT"], transport.Methods);
    }

    [Fact]
    public async Task SendAsync_ConflictThatPersists_FailsAfterBoundedRetries()
    {
        var transport = new RecordingTransport();
        for (int i = 0; i < 10; i++)
        {
            transport.Then(409, Error("Conflict", "still busy"), new Dictionary<string, string> { ["Retry-After"] = "0" });
        }

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(
            () => Client(transport).SendAsync(RequestMethod.Put, "onlineEndpoints/e", new JsonObject(), [200], CancellationToken.None));

        Assert.Equal(409, e.Status);
        Assert.Contains("still busy", e.Message, StringComparison.Ordinal);
        Assert.Equal(7, transport.Requests.Count); // the first try and six retries
    }

    [Fact]
    public async Task SendAsync_ThrottledWithRetryAfter_RetriedByThePipeline()
    {
        var transport = new RecordingTransport().Then(429, Error("TooManyRequests", "slow down"), new Dictionary<string, string> { ["Retry-After"] = "0" }).Then(200, "{}");

        ArmResponse response = await Client(transport, retries: 3).SendAsync(RequestMethod.Get, "jobs/j1", null, [200], CancellationToken.None);

        Assert.Equal(200, response.Status);
        Assert.Equal(2, transport.Requests.Count);
    }

    [Fact]
    public async Task SendAsync_ServerErrorsThatPersist_FailAfterThePipelineRetries()
    {
        var transport = new RecordingTransport();
        for (int i = 0; i < 4; i++)
        {
            transport.Then(503, Error("ServiceUnavailable", "try later"));
        }

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(
            () => Client(transport, retries: 3).SendAsync(RequestMethod.Get, "jobs/j1", null, [200], CancellationToken.None));

        Assert.Equal(503, e.Status);
        Assert.Equal(4, transport.Requests.Count);
    }

    [Fact]
    public async Task GetAsync_NotFound_IsNull()
    {
        var transport = new RecordingTransport((404, Error("ResourceNotFound", "no such job")));

        Assert.Null(await Client(transport).GetAsync("jobs/missing", CancellationToken.None));
        Assert.Equal($"{Arm}{W}/jobs/missing?{ApiVersion}", transport.RequestUris[0]);
    }

    [Fact]
    public async Task WaitAsync_OperationFails_ThrowsWithTheServiceError()
    {
        var transport = new RecordingTransport()
            .Then(200, "{\"status\":\"InProgress\"}")
            .Then(200, "{\"status\":\"Failed\",\"error\":{\"code\":\"QuotaExceeded\",\"message\":\"not enough quota for Standard_DS3_v2\"}}");
        AzureMlClient client = Client(transport);
        var started = new ArmResponse(201, null, new Uri(AsyncOperation("op1")["Azure-AsyncOperation"]), null, TimeSpan.Zero);

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(() => client.WaitAsync(started, "onlineEndpoints/e", CancellationToken.None));

        Assert.Contains("onlineEndpoints/e", e.Message, StringComparison.Ordinal);
        Assert.Contains("QuotaExceeded", e.Message, StringComparison.Ordinal);
        Assert.Contains("not enough quota", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_LocationPolled_EndsWhenNoLonger202()
    {
        var transport = new RecordingTransport()
            .Then(202, string.Empty, new Dictionary<string, string> { ["Retry-After"] = "0" })
            .Then(204, string.Empty);
        var started = new ArmResponse(202, null, null, new Uri(Location("op2")["Location"]), TimeSpan.Zero);

        await Client(transport).WaitAsync(started, "onlineEndpoints/e/deployments/d", CancellationToken.None);

        Assert.Equal(2, transport.Requests.Count);
        Assert.All(transport.Requests, r => Assert.Contains("mfeOperationResults/op2", r.Uri.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task WaitAsync_OperationNeverEnds_TimesOutNamingTheResource()
    {
        var transport = new RecordingTransport();
        for (int i = 0; i < 50; i++)
        {
            transport.Then(200, "{\"status\":\"InProgress\"}");
        }

        AzureMlOptions options = Options();
        options.OperationTimeout = TimeSpan.FromMilliseconds(300);
        var started = new ArmResponse(201, null, new Uri(AsyncOperation("op3")["Azure-AsyncOperation"]), null, TimeSpan.Zero);

        TimeoutException e = await Assert.ThrowsAsync<TimeoutException>(() => Client(transport, options).WaitAsync(started, "onlineEndpoints/e", CancellationToken.None));

        Assert.Contains("onlineEndpoints/e", e.Message, StringComparison.Ordinal);
    }
}
