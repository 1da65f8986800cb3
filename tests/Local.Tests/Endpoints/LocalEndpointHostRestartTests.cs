using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Platform;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Trainer;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Local.Endpoints;

/// <summary>The local endpoint host restarted on the same storage: the deployments it restores load their models in
/// the background, and none may report ready before it can answer.</summary>
[Trait("Category", "Slow")]
public sealed class LocalEndpointHostRestartTests : IAsyncLifetime
{
    readonly string home = Path.Combine(Path.GetTempPath(), $"genai-endpoints-{Guid.NewGuid():N}");
    readonly string endpoint = $"ep{Guid.NewGuid():N}"[..14];
    PipelineStorage storage = null!;

    public async Task InitializeAsync()
    {
        string connection = (await SharedAzurite.GetAsync()).ConnectionString;
        storage = new PipelineStorage(new BlobServiceClient(connection), new QueueServiceClient(connection));
        await storage.EnsureCreatedAsync();
    }

    public Task DisposeAsync() => TempFolders.DeleteAsync(home);

    [Fact]
    public async Task StartAsync_RestoredDeployment_ReportsReadyOnlyOnceItAnswers()
    {
        DeployableModel model = await UploadModelAsync();
        string deployment = "v1-restart";
        using (LocalEndpointHost first = NewHost("first"))
        {
            await first.StartAsync(CancellationToken.None);
            await first.CreateDeploymentAsync(new DeploymentSpec(endpoint, deployment, model), CancellationToken.None);
            Assert.Equal(DeploymentProvisioning.Succeeded, await WaitForSettledStateAsync(first, deployment));
            await first.SetTrafficAsync(new TrafficSplit(endpoint, new Dictionary<string, int> { [deployment] = 100 }), CancellationToken.None);
            await first.StopAsync(CancellationToken.None);
        }

        // A new process on the same storage, with an empty folder: it must download and load the model again.
        using LocalEndpointHost second = NewHost("second");
        await second.StartAsync(CancellationToken.None);
        var seen = new List<DeploymentProvisioning>();
        DeploymentProvisioning state;
        do
        {
            state = (await second.GetEndpointAsync(endpoint, CancellationToken.None)).Deployments.Single(d => d.Name == deployment).State;
            seen.Add(state);
            if (state == DeploymentProvisioning.Succeeded)
            {
                // The moment it says ready, it answers.
                ScoreResult answer = await second.ScoreAsync(endpoint, "the model", deployment, CancellationToken.None);
                Assert.Equal(deployment, answer.Deployment);
            }
            else
            {
                Assert.Equal(DeploymentProvisioning.Creating, state);
                await Task.Delay(20);
            }
        }
        while (state != DeploymentProvisioning.Succeeded);

        Assert.Equal(deployment, (await second.ScoreAsync(endpoint, "the model", null, CancellationToken.None)).Deployment);
        Assert.Equal(new Dictionary<string, int> { [deployment] = 100 }, (await second.GetEndpointAsync(endpoint, CancellationToken.None)).Traffic);
    }

    LocalEndpointHost NewHost(string name) =>
        new(storage, new EndpointHostOptions { Home = Path.Combine(home, name) }, new DeploymentRouter(TimeProvider.System), NullLogger<LocalEndpointHost>.Instance);

    async Task<DeploymentProvisioning> WaitForSettledStateAsync(LocalEndpointHost host, string deployment)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            DeploymentProvisioning state = (await host.GetEndpointAsync(endpoint, CancellationToken.None)).Deployments.Single(d => d.Name == deployment).State;
            if (state != DeploymentProvisioning.Creating)
            {
                return state;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    /// <summary>Trains a tiny model with the real trainer and uploads its files where a registered version's live.</summary>
    async Task<DeployableModel> UploadModelAsync()
    {
        string data = Path.Combine(home, "data"), output = Path.Combine(home, "model"), checkpoints = Path.Combine(home, "checkpoints");
        Directory.CreateDirectory(data);
        string[] lines = [.. Enumerable.Range(0, 40).Select(i => $$"""{"id":"r{{i}}","text":"the model answers request {{i}} after a restart of the endpoint host"}""")];
        await File.WriteAllLinesAsync(Path.Combine(data, "train-00000.jsonl"), lines);
        await File.WriteAllLinesAsync(Path.Combine(data, "validation-00000.jsonl"), lines[..5]);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Assert.True(TrainerCommand.Run(["train", "--data", data, "--out", output, "--checkpoints", checkpoints, "--steps", "1"], stdout, stderr) == 0, stderr.ToString());

        string prefix = $"{endpoint}/v1/";
        BlobContainerClient models = storage.Container(PipelineStorage.Models);
        foreach (string file in Directory.GetFiles(output))
        {
            await models.GetBlobClient(prefix + Path.GetFileName(file)).UploadAsync(file, overwrite: true);
        }

        return new DeployableModel(endpoint, 1, $"{PipelineStorage.Models}/{prefix}");
    }
}
