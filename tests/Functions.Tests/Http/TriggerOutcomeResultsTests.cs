using GenAiServerless.Functions.Http;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Functions.Http;

public sealed class TriggerOutcomeResultsTests
{
    [Fact]
    public async Task ToResult_Started_202WithLocationAndBody()
    {
        var (status, headers, body) = await HttpExchange.ExecuteAsync(
            TriggerOutcomeResults.ToResult(new TriggerOutcome(TriggerOutcomeKind.Started, "tinylm-deploy-v3-abc", "started RolloutOrchestrator")));

        Assert.Equal(202, status);
        Assert.Equal("/api/pipelines/tinylm-deploy-v3-abc", headers.Location.ToString());
        Assert.Equal("tinylm-deploy-v3-abc", body.GetProperty("instanceId").GetString());
        Assert.Equal("started RolloutOrchestrator", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ToResult_AlreadyStarted_200WithBody()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            TriggerOutcomeResults.ToResult(new TriggerOutcome(TriggerOutcomeKind.AlreadyStarted, "id-1", "exists already")));

        Assert.Equal(200, status);
        Assert.Equal("id-1", body.GetProperty("instanceId").GetString());
    }

    [Fact]
    public async Task ToResult_Accepted_202WithoutLocation()
    {
        var (status, headers, body) = await HttpExchange.ExecuteAsync(
            TriggerOutcomeResults.ToResult(new TriggerOutcome(TriggerOutcomeKind.Accepted, "id-1", "approval sent")));

        Assert.Equal(202, status);
        Assert.Empty(headers.Location.ToString());
        Assert.Equal("approval sent", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ToResult_Rejected_400ProblemNamingTheIssue()
    {
        var (status, headers, body) = await HttpExchange.ExecuteAsync(
            TriggerOutcomeResults.ToResult(new TriggerOutcome(TriggerOutcomeKind.Rejected, null, "'version' must be a positive number, got -1")));

        Assert.Equal(400, status);
        Assert.StartsWith("application/problem+json", headers.ContentType.ToString(), StringComparison.Ordinal);
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.Equal("'version' must be a positive number, got -1", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task ToResult_NotFound_404ProblemWithInstanceId()
    {
        var (status, _, body) = await HttpExchange.ExecuteAsync(
            TriggerOutcomeResults.ToResult(new TriggerOutcome(TriggerOutcomeKind.NotFound, "nope", "no pipeline run with id 'nope'")));

        Assert.Equal(404, status);
        Assert.Equal("no pipeline run with id 'nope'", body.GetProperty("detail").GetString());
        Assert.Equal("nope", body.GetProperty("instanceId").GetString());
    }

    [Fact]
    public void ToResult_EveryKind_IsMapped()
    {
        foreach (TriggerOutcomeKind kind in Enum.GetValues<TriggerOutcomeKind>())
        {
            Assert.NotNull(TriggerOutcomeResults.ToResult(new TriggerOutcome(kind, "id-1", "m")).Result);
        }
    }
}
