using System.Net;
using System.Net.Http.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Local.Stack;
using GenAiServerless.Local.Triggers;
using GenAiServerless.Platform;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Trainer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Local.Endpoints;

/// <summary>The local endpoint host over Kestrel on the run's Azurite: a trained model deployed, its liveness and
/// readiness, scoring through the router and straight, an injected fault as a 500, metrics in Prometheus text, and
/// mirror traffic persisted and served again after a restart.</summary>
public sealed class LocalEndpointHostTests : IAsyncLifetime
{
    readonly string home = Path.Combine(Path.GetTempPath(), $"genai-endpoints-{Guid.NewGuid():N}");
    readonly string model = $"ep{Guid.NewGuid():N}"[..12];
    PipelineStorage storage = null!;

    public async Task InitializeAsync()
    {
        AzuriteServer azurite = await SharedAzurite.GetAsync();
        storage = new PipelineStorage(new BlobServiceClient(azurite.ConnectionString), new QueueServiceClient(azurite.ConnectionString));
        await storage.EnsureCreatedAsync();

        // A real model: the trainer's own job, in process, its files where a training job leaves them.
        string data = Path.Combine(home, "data"), output = Path.Combine(home, "model");
        Directory.CreateDirectory(data);
        foreach (string split in new[] { "train", "validation", "test" })
        {
            await File.WriteAllLinesAsync(Path.Combine(data, $"{split}-00000.jsonl"), Enumerable.Range(0, 60).Select(i =>
                $$"""{"id":"{{split}}-{{i}}","text":"the model serves request {{i % 7}} and the canary answers fast."}"""));
        }

        using var log = new StringWriter();
        Assert.True(TrainerCommand.Run(["train", "--data", data, "--out", output, "--checkpoints", Path.Combine(home, "ckpt"), "--steps", "2"], log, log) == 0, log.ToString());
        foreach (string file in Directory.GetFiles(output))
        {
            await storage.Container(PipelineStorage.Models).GetBlobClient($"{model}/v1/{Path.GetFileName(file)}").UploadAsync(file, overwrite: true);
        }
    }

    public Task DisposeAsync() => TempFolders.DeleteAsync(home);

    async Task<(WebApplication App, HttpClient Http, LocalEndpointHost Host, DeploymentRouter Router)> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(storage);
        builder.Services.AddSingleton(new EndpointHostOptions { Home = home });
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DeploymentRouter>();
        builder.Services.AddSingleton(sp => new LocalEndpointHost(storage, sp.GetRequiredService<EndpointHostOptions>(), sp.GetRequiredService<DeploymentRouter>(), NullLogger<LocalEndpointHost>.Instance));
        builder.Services.AddSingleton<IEndpointHost>(sp => sp.GetRequiredService<LocalEndpointHost>());
        WebApplication app = builder.Build();
        app.MapEndpointScoring();
        await app.StartAsync();
        LocalEndpointHost host = app.Services.GetRequiredService<LocalEndpointHost>();
        await host.StartAsync(CancellationToken.None);
        var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        return (app, http, host, app.Services.GetRequiredService<DeploymentRouter>());
    }

    async Task DeployAsync(LocalEndpointHost host, string deployment)
    {
        await host.CreateDeploymentAsync(new DeploymentSpec(model, deployment, new DeployableModel(model, 1, $"{PipelineStorage.Models}/{model}/v1/")), CancellationToken.None);
        for (int i = 0; i < 200 && host.Health(model, deployment) is not { Ready: true }; i++)
        {
            await Task.Delay(50);
        }

        Assert.True(host.Health(model, deployment)?.Ready, $"{deployment} is not ready: {host.Health(model, deployment)?.Detail}");
    }

    Task<HttpResponseMessage> ScoreAsync(HttpClient http, string path = "score") => http.PostAsJsonAsync($"endpoints/{model}/{path}", new { prompt = "the model" });

    [Fact]
    public async Task Routes_DeployedModel_ServeHealthScoringFaultsAndMetrics()
    {
        (WebApplication app, HttpClient http, LocalEndpointHost host, DeploymentRouter router) = await StartAsync();
        await using (app)
        using (http)
        {
            await DeployAsync(host, "blue");
            await host.SetTrafficAsync(new TrafficSplit(model, new Dictionary<string, int> { ["blue"] = 100 }), CancellationToken.None);

            using HttpResponseMessage live = await http.GetAsync($"endpoints/{model}/deployments/blue/live");
            using HttpResponseMessage ready = await http.GetAsync($"endpoints/{model}/deployments/blue/ready");
            using HttpResponseMessage unknown = await http.GetAsync($"endpoints/{model}/deployments/nosuch/ready");
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound), (live.StatusCode, ready.StatusCode, unknown.StatusCode));

            for (int i = 0; i < 9; i++)
            {
                using HttpResponseMessage ok = await ScoreAsync(http);
                Assert.Equal("blue", (await ok.Content.ReadFromJsonAsync<ScoreResult>())!.Deployment);
            }

            using (HttpResponseMessage direct = await ScoreAsync(http, "deployments/blue/score"))
            {
                Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
            }

            router.SetFault(model, "blue", new DeploymentFault { ErrorRate = 1 });
            using (HttpResponseMessage failed = await ScoreAsync(http))
            {
                Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
                Assert.Contains("injected fault", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            router.SetFault(model, "blue", null);
            string metrics = await http.GetStringAsync("metrics");
            Assert.Contains($"genai_endpoint_requests_total{{endpoint=\"{model}\",deployment=\"blue\"}} 10\n", metrics, StringComparison.Ordinal);
            Assert.Contains($"genai_endpoint_request_errors_total{{endpoint=\"{model}\",deployment=\"blue\"}} 1\n", metrics, StringComparison.Ordinal);
            Assert.Contains($"genai_endpoint_traffic_percent{{endpoint=\"{model}\",deployment=\"blue\"}} 100\n", metrics, StringComparison.Ordinal);
            DeploymentMetrics read = await host.ReadAsync(new MetricsQuery(model, "blue", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1)), CancellationToken.None);
            Assert.Equal((10L, 1L), (read.Requests, read.Errors));
        }
    }

    [Fact]
    public async Task LossRoute_PinnedText_ReturnsTheBitsTheEvaluatorWritesAndIsNotTraffic()
    {
        // The evaluator's figures for the text, from the same model files the deployment loads.
        const string text = "the canary answers request 3 and ünïcode ✓";
        string evalSet = Path.Combine(home, "evalset"), evaluation = Path.Combine(home, "evaluation");
        Directory.CreateDirectory(evalSet);
        await File.WriteAllTextAsync(Path.Combine(evalSet, "eval.jsonl"), System.Text.Json.JsonSerializer.Serialize(new { id = "probe", text }) + "\n");
        using (var log = new StringWriter())
        {
            Assert.True(TrainerCommand.Run(["evaluate", "--model", Path.Combine(home, "model"), "--data", Path.Combine(home, "data"), "--eval-set", evalSet, "--out", evaluation], log, log) == 0, log.ToString());
        }

        System.Text.Json.JsonElement row = File.ReadAllLines(Path.Combine(evaluation, "examples.jsonl")).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement)
            .Single(r => r.GetProperty("id").GetString() == "probe");

        (WebApplication app, HttpClient http, LocalEndpointHost host, _) = await StartAsync();
        await using (app)
        using (http)
        {
            await DeployAsync(host, "blue");
            await host.SetTrafficAsync(new TrafficSplit(model, new Dictionary<string, int> { ["blue"] = 100 }), CancellationToken.None);

            using var request = new HttpRequestMessage(HttpMethod.Post, $"endpoints/{model}/score") { Content = JsonContent.Create(new { text }) };
            request.Headers.Add("azureml-model-deployment", "blue");
            using HttpResponseMessage scored = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, scored.StatusCode);
            LossScore loss = (await scored.Content.ReadFromJsonAsync<LossScore>())!;
            Assert.Equal("blue", loss.Deployment);
            Assert.Equal(row.GetProperty("bytes").GetInt64(), loss.Bytes);
            Assert.Equal(row.GetProperty("bits").GetDouble(), loss.Bits, 9);

            using HttpResponseMessage unpinned = await http.PostAsJsonAsync($"endpoints/{model}/score", new { text });
            Assert.Equal(HttpStatusCode.BadRequest, unpinned.StatusCode);
            using var empty = new HttpRequestMessage(HttpMethod.Post, $"endpoints/{model}/score") { Content = JsonContent.Create(new { text = "" }) };
            empty.Headers.Add("azureml-model-deployment", "blue");
            using HttpResponseMessage emptyScored = await http.SendAsync(empty);
            Assert.Equal(HttpStatusCode.BadRequest, emptyScored.StatusCode);
            Assert.Contains("'text' is empty", await emptyScored.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            await Assert.ThrowsAsync<KeyNotFoundException>(() => host.ScoreLossAsync(model, text, "nosuch", CancellationToken.None));

            DeploymentMetrics read = await host.ReadAsync(new MetricsQuery(model, "blue", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1)), CancellationToken.None);
            Assert.Equal(0L, read.Requests);
        }
    }

    [Fact]
    public async Task SetTrafficAsync_MirrorToGreen_PersistedAndServedAfterRestart()
    {
        (WebApplication app, HttpClient http, LocalEndpointHost host, DeploymentRouter router) = await StartAsync();
        await using (app)
        using (http)
        {
            await Task.WhenAll(DeployAsync(host, "blue"), DeployAsync(host, "green"));
            await host.SetTrafficAsync(new TrafficSplit(model, new Dictionary<string, int> { ["blue"] = 100 }, new Dictionary<string, int> { ["green"] = 50 }), CancellationToken.None);
            InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                host.SetTrafficAsync(new TrafficSplit(model, new Dictionary<string, int> { ["blue"] = 100 }, new Dictionary<string, int> { ["nosuch"] = 10 }), CancellationToken.None));
            Assert.Contains("not a ready deployment", refused.Message, StringComparison.Ordinal);
            EndpointInfo info = await host.GetEndpointAsync(model, CancellationToken.None);
            Assert.Equal(50, info.Mirror!["green"]);
            await host.StopAsync(CancellationToken.None);
        }

        // A restarted host reads the endpoint back, provisions both deployments and mirrors half the requests again.
        (app, http, host, router) = await StartAsync();
        await using (app)
        using (http)
        {
            for (int i = 0; i < 200 && !(router.IsServing(model, "blue") && router.IsServing(model, "green")); i++)
            {
                await Task.Delay(50);
            }

            for (int i = 0; i < 20; i++)
            {
                using HttpResponseMessage ok = await ScoreAsync(http);
                Assert.Equal("blue", (await ok.Content.ReadFromJsonAsync<ScoreResult>())!.Deployment);
            }

            for (int i = 0; i < 100 && router.Read(new MetricsQuery(model, "green", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1))).Requests < 10; i++)
            {
                await Task.Delay(50);
            }

            Assert.Equal(10, router.Read(new MetricsQuery(model, "green", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1))).Requests);
        }
    }
}
