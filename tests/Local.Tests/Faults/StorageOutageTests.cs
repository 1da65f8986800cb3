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
        string model = FaultStackFixture.Models[0];
        string id = await fixture.DropAsync(model, $"data-{Guid.NewGuid():N}", 400, seed: 11);
        // In the data stage, once its first shard work is stored.
        Azure.Storage.Blobs.BlobContainerClient curated = new Azure.Storage.Blobs.BlobServiceClient(fixture.Azurite.ConnectionString).GetBlobContainerClient(GenAiServerless.Platform.PipelineStorage.Curated);
        await WaitUntilAsync(
            async () =>
            {
                await foreach (Azure.Storage.Blobs.Models.BlobItem item in curated.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"{model}/{id}" }))
                {
                    return true;
                }

                return false;
            },
            "the data stage to store its first work");

        await KillAzuriteAndSeeOutageAsync(id);
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    [Fact]
    public async Task AzuriteKilledDuringTraining_StackStaysUpAnswers503AndRunCompletes()
    {
        string id = await fixture.DropAsync(FaultStackFixture.Models[1], $"train-{Guid.NewGuid():N}", 300, seed: 12);
        string progress = Path.Combine(fixture.Home, "stack", "jobs", "checkpoints", $"{id}-train", "progress.json");
        await WaitUntilAsync(() => Task.FromResult(File.Exists(progress)), "training to start");

        await KillAzuriteAndSeeOutageAsync(id);
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    /// <summary>Azurite killed at once after it acknowledged a job's outputs: a write it acknowledged must not be lost,
    /// or the evaluation finds the trained model without its header.</summary>
    [Fact]
    public async Task AzuriteKilledRightAfterAcknowledgingJobOutputs_RunCompletes()
    {
        string id = await fixture.DropAsync(FaultStackFixture.Models[5], $"acked-{Guid.NewGuid():N}", 300, seed: 18);
        string uploaded = Path.Combine(fixture.Home, "stack", "jobs", "jobs", $"{id}-train-a1", "uploaded");
        await WaitUntilAsync(() => Task.FromResult(File.Exists(uploaded)), "the trained model to be uploaded");

        await KillAzuriteAndSeeOutageAsync(id);
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    [Fact]
    public async Task SameDropDeliveredTwice_OneRun()
    {
        string model = FaultStackFixture.Models[2];
        string name = $"twice-{Guid.NewGuid():N}";
        string id = await fixture.DropAsync(model, name, 200, seed: 13);
        Azure.Storage.Blobs.Models.BlobProperties blob = (await fixture.Incoming.GetBlobClient($"{model}/{name}.jsonl").GetPropertiesAsync()).Value;

        // The event delivered again (at least once, as Event Grid does), beside the scanner's own delivery.
        TriggerOutcome again = await fixture.Stack.Starter.StartForDropAsync(model, $"{model}/{name}.jsonl", blob.ETag.ToString(), blob.ContentLength, CancellationToken.None);
        TriggerOutcome third = await fixture.Stack.Starter.StartForDropAsync(model, $"{model}/{name}.jsonl", blob.ETag.ToString(), blob.ContentLength, CancellationToken.None);

        Assert.Equal(id, again.InstanceId);
        Assert.Equal(id, third.InstanceId);
        Assert.Contains(TriggerOutcomeKind.AlreadyStarted, new[] { again.Kind, third.Kind });
        await AssertEndsLikeUndisturbedRunAsync(id);
    }

    [Fact]
    public async Task TwoDropsInSameSecond_BothRunOneAfterTheOther()
    {
        string model = FaultStackFixture.Models[3];
        Task<string> first = fixture.DropAsync(model, $"pair-a-{Guid.NewGuid():N}", 200, seed: 14);
        Task<string> second = fixture.DropAsync(model, $"pair-b-{Guid.NewGuid():N}", 200, seed: 15);
        string[] ids = await Task.WhenAll(first, second);

        PipelineStatusView[] ends = await Task.WhenAll(ids.Select(id => AssertEndsLikeUndisturbedRunAsync(id)));

        // One model, one slot: the runs went one after the other, so one rollout replaced the other's deployment.
        RolloutResult[] rollouts = [.. ends.Select(v => StackFixture.ResultOf(v).Rollout!)];
        Assert.True(
            rollouts[0].PreviousDeployment == rollouts[1].Deployment || rollouts[1].PreviousDeployment == rollouts[0].Deployment,
            $"the rollouts did not follow each other: {rollouts[0].Deployment} replaced {rollouts[0].PreviousDeployment}, {rollouts[1].Deployment} replaced {rollouts[1].PreviousDeployment}");
    }

    [Fact]
    public async Task DeploysRacingPipelineRun_QueueBehindEachOtherAndLeaveOneLiveDeployment()
    {
        string model = FaultStackFixture.Models[4];
        string seedRun = await fixture.DropAsync(model, $"seed-{Guid.NewGuid():N}", 200, seed: 16);
        int version = StackFixture.ResultOf(await AssertEndsLikeUndisturbedRunAsync(seedRun)).Version!.Version;

        // A pipeline run and three manual deployments of one model, all in the same second.
        string run = await fixture.DropAsync(model, $"race-{Guid.NewGuid():N}", 200, seed: 17);
        TriggerOutcome[] deploys = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            fixture.Stack.Starter.StartDeploymentAsync(model, new DeploymentCommand(version, null, $"race-{Guid.NewGuid():N}"), "race-test", CancellationToken.None)));
        Assert.All(deploys, d => Assert.Equal(TriggerOutcomeKind.Started, d.Kind));

        var rollouts = new List<RolloutResult> { StackFixture.ResultOf(await AssertEndsLikeUndisturbedRunAsync(run)).Rollout! };
        foreach (TriggerOutcome deploy in deploys)
        {
            PipelineStatusView view = await fixture.WaitForEndAsync(deploy.InstanceId!, RunTimeout);
            RolloutResult rollout = System.Text.Json.JsonSerializer.Deserialize<RolloutResult>(view.Output!.Value, System.Text.Json.JsonSerializerOptions.Web)!;
            Assert.True(rollout.Succeeded, rollout.Detail);
            rollouts.Add(rollout);
        }

        // Taking the model's slot one after the other, each rollout replaced a different deployment: interleaved ones
        // would have replaced the same one (and retired each other's).
        Assert.Equal(rollouts.Count, rollouts.Select(r => r.PreviousDeployment).Distinct().Count());
        EndpointInfo endpoint = await fixture.Stack.Services.GetRequiredService<IEndpointHost>().GetEndpointAsync(model, CancellationToken.None);
        DeploymentInfo live = Assert.Single(endpoint.Deployments);
        Assert.Equal(DeploymentProvisioning.Succeeded, live.State);
        Assert.Equal(new Dictionary<string, int> { [live.Name] = 100 }, endpoint.Traffic);
        Assert.Contains(live.Name, rollouts.Select(r => r.Deployment));
    }

    /// <summary>Kills Azurite (SIGKILL) at once, whatever it is doing, then, until the supervisor has it back: the API
    /// answers 503 with Retry-After (never a 500), and the stack does not stop.</summary>
    async Task KillAzuriteAndSeeOutageAsync(string id)
    {
        int killed = fixture.Azurite.Pid;
        using (Process azurite = Process.GetProcessById(killed))
        {
            azurite.Kill();
            await azurite.WaitForExitAsync();
        }

        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiBase, Timeout = TimeSpan.FromSeconds(60) };
        bool saw503 = false;
        // Until the supervisor starts a new process, storage is certainly down.
        while (fixture.Azurite.Pid == killed)
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
