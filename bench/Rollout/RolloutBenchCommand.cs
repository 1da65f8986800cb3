using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using GenAiServerless.Local.Stack;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Trainer;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench.Rollout;

/// <summary><c>rollout</c>: a bounded load on loopback against the local endpoint host during (a) a good rollout and (b) a
/// rollout of a deployment with injected errors, then (c) a deployment called directly against the same deployment
/// through the router. The rollouts are the real orchestrator on the local durable engine (Azurite), with the default
/// analysis settings.</summary>
public sealed class RolloutBenchCommand : AsyncCommand<RolloutBenchCommand.Settings>
{
    const string Model = "benchlm";

    // The targets.
    const double TargetRollbackSeconds = 10;
    const double TargetAddedP99Ms = 1;

    public sealed class Settings : BenchSettings
    {
        [CommandOption("--clients <N>")]
        [Description("Concurrent load clients.")]
        [DefaultValue(4)]
        public int Clients { get; init; } = 4;

        [CommandOption("--pause-ms <MS>")]
        [Description("Each client's pause between requests: the load is bounded to about clients × 1000 / pause requests a second.")]
        [DefaultValue(10)]
        public int PauseMs { get; init; } = 10;

        [CommandOption("--bake <SECONDS>")]
        [Description("Bake time of each canary step (10, 50, 100 %); the analysis settings stay at their defaults.")]
        [DefaultValue(6)]
        public int BakeSeconds { get; init; } = 6;

        [CommandOption("--error-rate <SHARE>")]
        [Description("Share of the bad deployment's requests that fail once it has served 10.")]
        [DefaultValue(0.5)]
        public double ErrorRate { get; init; } = 0.5;

        [CommandOption("--routing-requests <N>")]
        [Description("Requests of each kind (direct, routed) in the routing comparison.")]
        [DefaultValue(3000)]
        public int RoutingRequests { get; init; } = 3000;

        public override ValidationResult Validate() =>
            Clients is < 1 or > 64 ? ValidationResult.Error($"--clients must be between 1 and 64 (was {Clients})")
            : PauseMs is < 0 or > 10_000 ? ValidationResult.Error($"--pause-ms must be between 0 and 10000 (was {PauseMs})")
            : BakeSeconds is < 1 or > 600 ? ValidationResult.Error($"--bake must be between 1 and 600 seconds (was {BakeSeconds})")
            : ErrorRate is <= 0 or > 1 ? ValidationResult.Error($"--error-rate must be in (0, 1] (was {ErrorRate})")
            : RoutingRequests is < 100 or > 1_000_000 ? ValidationResult.Error($"--routing-requests must be between 100 and 1000000 (was {RoutingRequests})")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string home = Path.Combine(Path.GetTempPath(), $"genai-bench-rollout-{Guid.NewGuid():N}");
        try
        {
            RolloutReport report = await RunAsync(settings, home, cancellationToken);
            if (settings.Json)
            {
                BenchOutput.WriteJson(report);
            }
            else
            {
                Print(report);
            }

            return 0;
        }
        finally
        {
            TryDelete(home);
        }
    }

    static async Task<RolloutReport> RunAsync(Settings settings, string home, CancellationToken cancellationToken)
    {
        BenchOutput.Progress("starting Azurite and the local stack…");
        await using AzuriteServer azurite = await AzuriteServer.StartAsync(Path.Combine(home, "azurite"), BenchOutput.Progress, cancellationToken);
        await using LocalPipelineHost stack = await LocalPipelineHost.StartAsync(new LocalPipelineHostSettings
        {
            Home = home,
            StorageConnectionString = azurite.ConnectionString,
            TaskHub = "RolloutBench",
            EnableTriggers = false,
            ConsoleLogLevel = LogLevel.Error,
            Overrides = new Dictionary<string, string?>
            {
                ["Pipeline:Models:0"] = Model,
                ["Rollout:BakeTime"] = TimeSpan.FromSeconds(settings.BakeSeconds).ToString("c", CultureInfo.InvariantCulture),
                ["Rollout:PromotionGrace"] = "00:00:01",
                ["Rollout:ReadinessPollInterval"] = "00:00:00.200",

                // The versions are trained on different random word lists: the bench measures traffic and rollback on
                // errors, so the quality probe must not tell them apart.
                ["Rollout:Analysis:MaxQualityRegression"] = "10",
                [$"LocalEndpoints:Faults:{Model}/v3:ErrorRate"] = settings.ErrorRate.ToString(CultureInfo.InvariantCulture),
                [$"LocalEndpoints:Faults:{Model}/v3:AfterRequests"] = "10",
            },
        }, cancellationToken);

        BenchOutput.Progress("training and registering three versions…");
        var versions = new List<ModelVersionInfo>();
        for (int n = 1; n <= 3; n++)
        {
            versions.Add(await RegisterAsync(stack, home, n, cancellationToken));
        }

        RolloutPolicy policy = stack.Services.GetRequiredService<PipelineRequestFactory>().Rollout();
        RolloutResult first = await RolloutAsync(stack, versions[0], policy, cancellationToken);
        if (!first.Succeeded)
        {
            throw new InvalidOperationException($"the first deployment failed: {first.Detail}");
        }

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Clients + 2 }) { BaseAddress = stack.ApiBase, Timeout = TimeSpan.FromSeconds(30) };
        IEndpointHost endpoints = stack.Services.GetRequiredService<IEndpointHost>();

        BenchOutput.Progress($"(a) good rollout of v2 under load ({settings.Clients} clients)…");
        Phase good;
        await using (var load = LoadGenerator.Start(http, Model, settings.Clients, TimeSpan.FromMilliseconds(settings.PauseMs)))
        {
            RolloutResult result = await RolloutAsync(stack, versions[1], policy, cancellationToken);
            good = new Phase(result, await load.StopAsync());
        }

        BenchOutput.Progress("(b) rollout of v3, which fails half its requests after its first ten, under load…");
        Phase bad;
        double? trafficBackAt;
        await using (var load = LoadGenerator.Start(http, Model, settings.Clients, TimeSpan.FromMilliseconds(settings.PauseMs)))
        {
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<double?> back = WatchTrafficBackAsync(endpoints, good.Result.Deployment, load.Clock, watching.Token);
            RolloutResult result = await RolloutAsync(stack, versions[2], policy, cancellationToken);
            await watching.CancelAsync();
            trafficBackAt = await back;
            bad = new Phase(result, await load.StopAsync());
        }

        BenchOutput.Progress("(c) direct against routed requests…");
        (double directP99, double routedP99, double directP50, double routedP50) = await CompareRoutingAsync(http, good.Result.Deployment, settings.RoutingRequests, cancellationToken);

        double? firstError = bad.Samples.Where(s => !s.Ok).Select(s => (double?)s.StartSeconds).Min();
        double? rollbackSeconds = firstError is { } e && trafficBackAt is { } t ? t - e : null;
        int failedBeforeRollback = bad.Samples.Count(s => !s.Ok && (trafficBackAt is not { } tb || s.StartSeconds < tb));
        return new RolloutReport(
            "rollout",
            new BenchEnvironment(Environment.ProcessorCount, settings.Clients, settings.PauseMs, settings.BakeSeconds, policy.Analysis!),
            new GoodReport(good.Samples.Count, good.Samples.Count(s => !s.Ok), good.Result.Succeeded, good.Result.Detail, good.Samples.Count(s => s.Deployment == good.Result.Deployment)),
            new BadReport(bad.Samples.Count, failedBeforeRollback, bad.Samples.Count(s => !s.Ok), Round(rollbackSeconds), !bad.Result.Succeeded, bad.Result.Detail),
            new RoutingReport(settings.RoutingRequests, Round(directP50), Round(routedP50), Round(directP99), Round(routedP99), Round(routedP99 - directP99)),
            new Targets(0, TargetRollbackSeconds, TargetAddedP99Ms,
                good.Samples.All(s => s.Ok) && good.Result.Succeeded,
                rollbackSeconds is { } rs && rs <= TargetRollbackSeconds && !bad.Result.Succeeded,
                routedP99 - directP99 <= TargetAddedP99Ms));
    }

    /// <summary>Trains a small n-gram model (the trainer's own job, in process), stores its files where a training job
    /// would and registers it as the next version.</summary>
    static async Task<ModelVersionInfo> RegisterAsync(LocalPipelineHost stack, string home, int n, CancellationToken cancellationToken)
    {
        string data = Path.Combine(home, $"data-{n}"), output = Path.Combine(home, $"model-{n}");
        Directory.CreateDirectory(data);
        var random = new Random(n);
        string[] words = ["the", "model", "serves", "a", "request", "canary", "traffic", "rolls", "out", "back", "fast", "and", "safely"];
        foreach (string split in new[] { "train", "validation", "test" })
        {
            await File.WriteAllLinesAsync(Path.Combine(data, $"{split}-00000.jsonl"), Enumerable.Range(0, split == "train" ? 400 : 40).Select(i =>
                System.Text.Json.JsonSerializer.Serialize(new { id = $"{split}-{i}", text = string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[random.Next(words.Length)])) + "." })), cancellationToken);
        }

        using var quiet = new StringWriter();
        int exit = TrainerCommand.Run(["train", "--data", data, "--out", output, "--checkpoints", Path.Combine(home, $"ckpt-{n}"), "--steps", "2"], quiet, quiet);
        if (exit != 0)
        {
            throw new InvalidOperationException($"training version {n} failed: {quiet}");
        }

        PipelineStorage storage = stack.Services.GetRequiredService<PipelineStorage>();
        foreach (string file in Directory.GetFiles(output))
        {
            await storage.Container(PipelineStorage.Models).GetBlobClient($"bench/run-{n}/{Path.GetFileName(file)}").UploadAsync(file, overwrite: true, cancellationToken);
        }

        // A fresh registry numbers the versions in order: run n is version n, and the fault is set on v3.
        ModelVersionInfo version = await stack.Services.GetRequiredService<IModelRegistry>().RegisterAsync(
            new ModelRegistration(Model, $"bench-run-{n}", $"bench-job-{n}", $"{PipelineStorage.Models}/bench/run-{n}/", "none", "none", new Dictionary<string, double>()),
            DateTime.UtcNow, cancellationToken);
        return version.Version == n ? version : throw new InvalidOperationException($"run {n} was registered as version {version.Version}: the registry was not empty");
    }

    static async Task<RolloutResult> RolloutAsync(LocalPipelineHost stack, ModelVersionInfo version, RolloutPolicy policy, CancellationToken cancellationToken)
    {
        string id = $"bench-rollout-v{version.Version}-{Guid.NewGuid():N}";
        await stack.Client.ScheduleNewOrchestrationInstanceAsync(nameof(RolloutOrchestrator),
            new RolloutRequest(new DeployableModel(Model, version.Version, version.FilesPrefix), policy), new StartOrchestrationOptions(id), cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        OrchestrationMetadata done = await stack.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        return done.ReadOutputAs<RolloutResult>() ?? throw new InvalidOperationException($"rollout {id} ended {done.RuntimeStatus}: {done.FailureDetails?.ErrorMessage}");
    }

    /// <summary>When all traffic is back on <paramref name="previous"/> after another deployment took some (seconds on
    /// the load's clock), read from the endpoint every 10 ms.</summary>
    static async Task<double?> WatchTrafficBackAsync(IEndpointHost endpoints, string previous, Stopwatch clock, CancellationToken cancellationToken)
    {
        bool canaryTookTraffic = false;
        try
        {
            while (true)
            {
                EndpointInfo info = await endpoints.GetEndpointAsync(Model, CancellationToken.None);
                double now = clock.Elapsed.TotalSeconds;
                canaryTookTraffic |= info.Traffic.Any(t => t.Key != previous && t.Value > 0);
                if (canaryTookTraffic && info.Traffic.Count == 1 && info.Traffic.GetValueOrDefault(previous) == 100)
                {
                    return now;
                }

                await Task.Delay(10, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Sequential requests, alternating a deployment called straight and the endpoint through the router, after
    /// a warm-up: the percentiles of each, in ms.</summary>
    static async Task<(double DirectP99, double RoutedP99, double DirectP50, double RoutedP50)> CompareRoutingAsync(HttpClient http, string deployment, int requests, CancellationToken cancellationToken)
    {
        var direct = new List<double>(requests);
        var routed = new List<double>(requests);
        for (int i = -200; i < requests; i++)
        {
            double d = await TimeAsync(http, $"endpoints/{Model}/deployments/{deployment}/score", cancellationToken);
            double r = await TimeAsync(http, $"endpoints/{Model}/score", cancellationToken);
            if (i >= 0)
            {
                direct.Add(d);
                routed.Add(r);
            }
        }

        return (Percentile(direct, 0.99), Percentile(routed, 0.99), Percentile(direct, 0.5), Percentile(routed, 0.5));
    }

    static async Task<double> TimeAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        using HttpResponseMessage response = await http.PostAsJsonAsync(path, new { prompt = "the model" }, cancellationToken);
        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        response.EnsureSuccessStatusCode();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    static double Percentile(List<double> values, double q)
    {
        double[] sorted = [.. values.Order()];
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    static double? Round(double? value) => value is { } v ? Math.Round(v, 3) : null;

    static double Round(double value) => Math.Round(value, 3);

    static void Print(RolloutReport r)
    {
        var table = new Table().AddColumns("scenario", "figure", "value", "target");
        table.AddRow("(a) good rollout", "requests / failed", $"{r.Good.Requests} / {r.Good.Failed}", "failed 0");
        table.AddRow("", "rollout", r.Good.RolledOut ? "promoted" : $"not promoted: {Markup.Escape(r.Good.Detail)}", "promoted");
        table.AddRow("(b) bad rollout", "requests / failed before rollback / failed", $"{r.Bad.Requests} / {r.Bad.FailedBeforeRollback} / {r.Bad.Failed}", "");
        table.AddRow("", "first injected error → all traffic back", r.Bad.RollbackSeconds is { } s ? $"{s:F2} s" : "n/a", $"≤ {TargetRollbackSeconds} s");
        table.AddRow("", "rollout", Markup.Escape(r.Bad.RolledBack ? $"rolled back: {r.Bad.Detail}" : "not rolled back"), "rolled back");
        table.AddRow("(c) routing", "p50 direct / routed (ms)", $"{r.Routing.DirectP50Ms:F3} / {r.Routing.RoutedP50Ms:F3}", "");
        table.AddRow("", "p99 direct / routed (ms)", $"{r.Routing.DirectP99Ms:F3} / {r.Routing.RoutedP99Ms:F3}", "");
        table.AddRow("", "router's added p99 (ms)", $"{r.Routing.AddedP99Ms:F3}", $"≤ {TargetAddedP99Ms} ms");
        BenchOutput.Human.Write(table);
        BenchOutput.Human.MarkupLine($"targets met: good {Yes(r.Targets.GoodMet)}, rollback {Yes(r.Targets.RollbackMet)}, routing {Yes(r.Targets.RoutingMet)}");
    }

    static string Yes(bool met) => met ? "[green]yes[/]" : "[red]no[/]";

    static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by the stopping stack: temp space, cleaned by the OS
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    sealed record Phase(RolloutResult Result, IReadOnlyList<LoadSample> Samples);

    /// <summary>The JSON document (keys good.failed, bad.failedBeforeRollback, bad.rollbackSeconds, routing.addedP99Ms).</summary>
    public sealed record RolloutReport(string Benchmark, BenchEnvironment Environment, GoodReport Good, BadReport Bad, RoutingReport Routing, Targets Targets);

    public sealed record BenchEnvironment(int Cores, int Clients, int PauseMs, int BakeSeconds, AnalysisPolicy Analysis);

    public sealed record GoodReport(int Requests, int Failed, bool RolledOut, string Detail, int AnsweredByNew);

    public sealed record BadReport(int Requests, int FailedBeforeRollback, int Failed, double? RollbackSeconds, bool RolledBack, string Detail);

    public sealed record RoutingReport(int Requests, double DirectP50Ms, double RoutedP50Ms, double DirectP99Ms, double RoutedP99Ms, double AddedP99Ms);

    public sealed record Targets(int GoodFailed, double RollbackSeconds, double AddedP99Ms, bool GoodMet, bool RollbackMet, bool RoutingMet);
}

/// <summary>One scoring request of the load: when it started (seconds on the load's clock), whether it was answered, by
/// which deployment.</summary>
sealed record LoadSample(double StartSeconds, bool Ok, string? Deployment);

/// <summary>A bounded load: a few clients, each sending a scoring request, reading the answer, pausing, again.</summary>
sealed class LoadGenerator : IAsyncDisposable
{
    readonly ConcurrentQueue<LoadSample> samples = new();
    readonly CancellationTokenSource stop = new();
    readonly Task[] clients;

    LoadGenerator(HttpClient http, string model, int count, TimeSpan pause)
    {
        clients = [.. Enumerable.Range(0, count).Select(_ => Task.Run(() => RunAsync(http, model, pause)))];
    }

    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public static LoadGenerator Start(HttpClient http, string model, int clients, TimeSpan pause) => new(http, model, clients, pause);

    public async Task<IReadOnlyList<LoadSample>> StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(clients);
        return [.. samples.OrderBy(s => s.StartSeconds)];
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        stop.Dispose();
    }

    async Task RunAsync(HttpClient http, string model, TimeSpan pause)
    {
        while (!stop.IsCancellationRequested)
        {
            double started = Clock.Elapsed.TotalSeconds;
            try
            {
                using HttpResponseMessage response = await http.PostAsJsonAsync($"endpoints/{model}/score", new { prompt = "the model" }, CancellationToken.None);
                ScoreResult? answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<ScoreResult>(CancellationToken.None) : null;
                samples.Enqueue(new LoadSample(started, response.IsSuccessStatusCode, answer?.Deployment));
            }
            catch (HttpRequestException)
            {
                samples.Enqueue(new LoadSample(started, false, null));
            }

            if (pause > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(pause, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }
}
