using GenAiServerless.Functions.Http;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Triggers;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Functions.Http;

public sealed class PipelinesApiTests : IDisposable
{
    readonly ServiceProvider services = TestApp.Services();
    readonly FakeDurableTaskClient client = new();
    readonly PipelinesApi api;

    public PipelinesApiTests() => api = new PipelinesApi(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<PipelinesApi>.Instance);

    public void Dispose() => services.Dispose();

    [Fact]
    public async Task StartDeployment_UnknownModel_404NamingTheModel()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.StartDeployment(HttpExchange.Request("""{"version": 3}"""), "no-such-model", client, CancellationToken.None));

        Assert.Equal(404, status);
        Assert.Contains("unknown model 'no-such-model'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(client.ScheduledInstances);
    }

    [Fact]
    public async Task StartDeployment_MalformedJson_400NamingTheFault()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.StartDeployment(HttpExchange.Request("""{"version": 3"""), TestApp.Model, client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("not a valid DeploymentCommand", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(client.ScheduledInstances);
    }

    [Fact]
    public async Task StartDeployment_WrongFieldType_400NamingTheField()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.StartDeployment(HttpExchange.Request("""{"version": "three"}"""), TestApp.Model, client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("$.version", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartDeployment_EmptyBody_400SayingABodyIsNeeded()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.StartDeployment(HttpExchange.Request(""), TestApp.Model, client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("body is empty", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartDeployment_NeitherVersionNorAlias_400FromTheStarter()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.StartDeployment(HttpExchange.Request("""{"requestId": "r-1"}"""), TestApp.Model, client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("'version' (number) or an 'alias'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApprovePipeline_UnknownInstance_404()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.ApprovePipeline(HttpExchange.Request("""{"approved": true, "by": "ana"}"""), "tinylm-drop-unknown", client, CancellationToken.None));

        Assert.Equal(404, status);
        Assert.Contains("tinylm-drop-unknown", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(client.RaisedEvents);
    }

    [Fact]
    public async Task ApprovePipeline_MalformedJson_400()
    {
        client.Exists("run-1", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running);

        var (status, _, body) = await HttpExchange.ExecuteAsync(
            await api.ApprovePipeline(HttpExchange.Request("{approved: yes}"), "run-1", client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("not a valid ApprovalCommand", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(client.RaisedEvents);
    }

    [Fact]
    public async Task ApprovePipeline_EmptyBodyOnRunningPipeline_202AndApprovalRaised()
    {
        client.Exists("run-1", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running);

        var (status, _, _) = await HttpExchange.ExecuteAsync(await api.ApprovePipeline(HttpExchange.Request(""), "run-1", client, CancellationToken.None));

        Assert.Equal(202, status);
        FakeDurableTaskClient.RaisedEvent raised = Assert.Single(client.RaisedEvents);
        Assert.Equal(ModelPipelineOrchestrator.ApprovalEvent, raised.EventName);
        Assert.True(Assert.IsType<ApprovalDecision>(raised.Payload).Approved);
    }

    [Fact]
    public async Task ApprovePipeline_RolloutInstance_400()
    {
        client.Exists("deploy-1", nameof(RolloutOrchestrator), OrchestrationRuntimeStatus.Running);

        var (status, _, _) = await HttpExchange.ExecuteAsync(await api.ApprovePipeline(HttpExchange.Request(""), "deploy-1", client, CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Empty(client.RaisedEvents);
    }

    [Fact]
    public async Task GetPipelineStatus_UnknownInstance_404()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(await api.GetPipelineStatus(HttpExchange.Request(null), "nope", client, CancellationToken.None));

        Assert.Equal(404, status);
        Assert.Contains("'nope'", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPipelineStatus_KnownInstance_200WithState()
    {
        client.Exists("run-1", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running);

        var (status, _, body) = await HttpExchange.ExecuteAsync(await api.GetPipelineStatus(HttpExchange.Request(null), "run-1", client, CancellationToken.None));

        Assert.Equal(200, status);
        Assert.Equal("run-1", body.GetProperty("instanceId").GetString());
        Assert.Equal("Running", body.GetProperty("runtimeStatus").GetString());
    }
}
