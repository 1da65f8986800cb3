using System.Diagnostics;
using System.Net;
using GenAiServerless.Pipeline;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GenAiServerless.Tests.Local.Faults;

/// <summary>The fault suite: each case disturbs a run on the real engine and Azurite and expects it to end as an
/// undisturbed run does, with every training and evaluation attempt started at most once.</summary>
[Collection(FaultTestGroup.Name)]
[Trait("Category", "Faults")]
[Trait("Category", "Slow")]
public sealed class StorageOutageTests(FaultStackFixture fixture)
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task AzuriteKilledDuringDataStage_StackStaysUpAnswers503AndRunCompletes()
    {
        string id = await fixture.DropAsync($"data-{Guid.NewGuid():N}", 400, seed: 11);
        await WaitUntilAsync(async () => await fixture.Stack.Starter.GetStatusAsync(id, CancellationToken.None) is { RuntimeStatus: "Running" }, "the scanner to start the run");

        await KillAzuriteAndSeeOutageAsync(id);
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    [Fact]
    public async Task AzuriteKilledDuringTraining_StackStaysUpAnswers503AndRunCompletes()
    {
        string id = await fixture.DropAsync($"train-{Guid.NewGuid():N}", 300, seed: 12);
        string progress = Path.Combine(fixture.Home, "stack", "jobs", "checkpoints", $"{id}-train", "progress.json");
        await WaitUntilAsync(() => Task.FromResult(File.Exists(progress)), "training to start");

        await KillAzuriteAndSeeOutageAsync(id);
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    [Fact]
    public async Task SameDropDeliveredTwice_OneRun()
    {
        string name = $"twice-{Guid.NewGuid():N}";
        string id = await fixture.DropAsync(name, 200, seed: 13);
        Azure.Storage.Blobs.Models.BlobProperties blob = (await fixture.Incoming.GetBlobClient($"{FaultStackFixture.Model}/{name}.jsonl").GetPropertiesAsync()).Value;

        // The event delivered again (at least once, as Event Grid does), beside the scanner's own delivery.
        TriggerOutcome again = await fixture.Stack.Starter.StartForDropAsync(FaultStackFixture.Model, $"{FaultStackFixture.Model}/{name}.jsonl", blob.ETag.ToString(), blob.ContentLength, CancellationToken.None);
        TriggerOutcome third = await fixture.Stack.Starter.StartForDropAsync(FaultStackFixture.Model, $"{FaultStackFixture.Model}/{name}.jsonl", blob.ETag.ToString(), blob.ContentLength, CancellationToken.None);

        Assert.Equal(id, again.InstanceId);
        Assert.Equal(id, third.InstanceId);
        Assert.Contains(TriggerOutcomeKind.AlreadyStarted, new[] { again.Kind, third.Kind });
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    [Fact]
    public async Task TwoDropsInSameSecond_BothRunOneAfterTheOther()
    {
        Task<string> first = fixture.DropAsync($"pair-a-{Guid.NewGuid():N}", 200, seed: 14);
        Task<string> second = fixture.DropAsync($"pair-b-{Guid.NewGuid():N}", 200, seed: 15);
        string[] ids = await Task.WhenAll(first, second);

        PipelineStatusView[] ends = await Task.WhenAll(ids.Select(id => AssertEndsLikeUndisturbedRunAsync(id)));

        // One model, one slot: the runs went one after the other, so one rollout replaced the other's deployment.
        RolloutResult[] rollouts = [.. ends.Select(v => StackFixture.ResultOf(v).Rollout!)];
        Assert.True(
            rollouts[0].PreviousDeployment == rollouts[1].Deployment || rollouts[1].PreviousDeployment == rollouts[0].Deployment,
            $"the rollouts did not follow each other: {rollouts[0].Deployment} replaced {rollouts[0].PreviousDeployment}, {rollouts[1].Deployment} replaced {rollouts[1].PreviousDeployment}");
    }

    /// <summary>Kills Azurite (SIGKILL), then, until the supervisor has it back: the API answers 503 with Retry-After
    /// (never a 500), and the stack does not stop.</summary>
    async Task KillAzuriteAndSeeOutageAsync(string id)
    {
        int restarts = fixture.Azurite.Restarts;
        using (Process azurite = Process.GetProcessById(fixture.Azurite.Pid))
        {
            azurite.Kill();
            await azurite.WaitForExitAsync();
        }

        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiBase, Timeout = TimeSpan.FromSeconds(60) };
        bool saw503 = false;
        while (fixture.Azurite.Restarts == restarts)
        {
            using HttpResponseMessage response = await http.GetAsync($"api/pipelines/{id}");
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"while storage was down the API answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                saw503 = true;
            }

            await Task.Delay(100);
        }

        Assert.True(saw503, "the API never answered 503 while storage was down");
        Assert.False(fixture.Stack.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the stack stopped");
    }

    async Task<PipelineStatusView> AssertEndsLikeUndisturbedRunAsync(string id)
    {
        PipelineStatusView view = await fixture.WaitForEndAsync(id, RunTimeout);
        PipelineResult result = StackFixture.ResultOf(view);
        Assert.True(result.Succeeded, result.Summary);
        Assert.Equal(1, result.Training!.Attempts);
        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        IReadOnlyDictionary<string, int> starts = fixture.StartsOf(id);
        Assert.Contains($"{id}-train-a1", starts.Keys);
        Assert.All(starts, s => Assert.True(s.Value == 1, $"{s.Key} was started {s.Value} times"));
        Assert.False(fixture.Stack.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested, "the stack stopped");
        return view;
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"gave up waiting for {what}");
            await Task.Delay(100);
        }
    }
}
