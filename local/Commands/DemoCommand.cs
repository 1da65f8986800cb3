using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Demo;
using GenAiServerless.Local.Stack;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Local.Commands;

/// <summary><c>genai demo</c>: the whole pipeline on this machine, from a data drop to a live endpoint answering a prompt.</summary>
public sealed class DemoCommand : AsyncCommand<DemoCommand.Settings>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public sealed class Settings : CommandSettings
    {
        [CommandOption("--json")]
        [Description("Print one JSON document (stages, figures, model version, the endpoint's answer) on stdout; progress goes to stderr.")]
        public bool Json { get; init; }

        [CommandOption("--model <NAME>")]
        [Description("Model to train (must be in Pipeline:Models; its family is its Training:Models:{model}:Component). Default: the --family's model.")]
        public string? ModelName { get; init; }

        [CommandOption("--family <FAMILY>")]
        [Description("The model family to demonstrate: ngram (model tinylm, the n-gram trainer) or transformer (model tinygpt, the PyTorch causal-LM trainer with a tiny configuration; needs /usr/bin/python3 with torch).")]
        [DefaultValue("ngram")]
        public string Family { get; init; } = "ngram";

        /// <summary>The model the demo trains: <c>--model</c>, or the <c>--family</c>'s.</summary>
        public string Model => ModelName ?? (Family == "transformer" ? TransformerDemoModel : NGramDemoModel);

        [CommandOption("--records <N>")]
        [Description("Records in the generated sample dataset.")]
        [DefaultValue(4000)]
        public int Records { get; init; } = 4000;

        [CommandOption("--seed <N>")]
        [Description("Seed of the generated dataset (default: a new one each run, so a rerun brings new data rather than duplicates of the last drop).")]
        public int? Seed { get; init; }

        [CommandOption("--dataset <FILE>")]
        [Description("Drop this JSONL file instead of the generated sample.")]
        public string? Dataset { get; init; }

        [CommandOption("--prompt <TEXT>")]
        [Description("Prompt sent to the live endpoint at the end.")]
        [DefaultValue("the pipeline")]
        public string Prompt { get; init; } = "the pipeline";

        [CommandOption("--no-eviction")]
        [Description("Do not inject a spot eviction into the first training attempt.")]
        public bool NoEviction { get; init; }

        [CommandOption("--timeout <MINUTES>")]
        [Description("Give up after this many minutes.")]
        [DefaultValue(10)]
        public int TimeoutMinutes { get; init; } = 10;

        public override ValidationResult Validate() =>
            Family is not ("ngram" or "transformer") ? ValidationResult.Error($"--family must be ngram or transformer, got '{Family}'")
            : ModelName is not null && Family != "ngram" ? ValidationResult.Error("--family picks the model (transformer: tinygpt); give --model or --family, not both")
            : Records < 50 ? ValidationResult.Error("--records must be at least 50")
            : Dataset is not null && !File.Exists(Dataset) ? ValidationResult.Error($"--dataset: file '{Dataset}' does not exist")
            : ValidationResult.Success();
    }

    /// <summary>The n-gram family's demo model (<c>local/appsettings.json</c>).</summary>
    public const string NGramDemoModel = "tinylm";

    /// <summary>The transformer family's demo model: <c>Training:Models:tinygpt</c> trains it with the <c>causal-lm</c>
    /// component in a tiny configuration (<c>local/appsettings.json</c>).</summary>
    public const string TransformerDemoModel = "tinygpt";

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        Action<string> say = settings.Json ? line => Console.Error.WriteLine(line) : line => AnsiConsole.MarkupLine(Markup.Escape(line));
        string home = StackHome.Default();
        say($"genai demo — home {home}");
        if (settings.Family == "transformer" && await TorchMissingAsync(cancellationToken) is { } missing)
        {
            say($"the transformer family trains with PyTorch, and {missing}: install it with apt-get install python3-torch (or set LocalJobs:Python)");
            return 1;
        }

        await using AzuriteServer azurite = await AzuriteServer.StartAsync(home, say, cancellationToken);
        var overrides = new Dictionary<string, string?>
        {
            ["Training:Hyperparameters:steps"] = "10",
            ["Training:Hyperparameters:step-delay-ms"] = "250",
            ["LocalJobs:InjectEvictionAtProgress"] = settings.NoEviction ? null : "0.4",
        };
        var startWatch = Stopwatch.StartNew();
        await using LocalPipelineHost stack = await LocalPipelineHost.StartAsync(new LocalPipelineHostSettings
        {
            Home = home,
            StorageConnectionString = azurite.ConnectionString,
            ConsoleLogLevel = LogLevel.Warning,
            Overrides = overrides,
        }, cancellationToken);
        say($"stack up in {startWatch.Elapsed.TotalSeconds:F1} s: engine on Azurite, API and endpoints at {stack.ApiBase}");

        string content = settings.Dataset is { } path ? await File.ReadAllTextAsync(path, cancellationToken) : SampleCorpus.Generate(settings.Records, settings.Seed ?? Environment.TickCount);
        string blobName = $"{settings.Model}/demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}.jsonl";
        BlobClient blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo uploaded = (await blob.UploadAsync(BinaryData.FromString(content), cancellationToken)).Value;
        string instanceId = InstanceIds.ForDrop(settings.Model, blobName, uploaded.ETag.ToString());
        say($"dropped {content.Length / 1024} KiB into incoming/{blobName}; the blob trigger starts {instanceId}");

        PipelineStatusView view;
        try
        {
            view = await new PipelineFollower(stack.Starter).FollowAsync(instanceId, say, TimeSpan.FromMinutes(settings.TimeoutMinutes), cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or Grpc.Core.RpcException)
        {
            say($"following {instanceId} failed: {e.Message}");
            return 1;
        }

        PipelineResult? result = view.Output?.Deserialize<PipelineResult>(Json);
        string? answer = null;
        string? answeredBy = null;
        if (result is { Succeeded: true })
        {
            using var http = new HttpClient { BaseAddress = stack.ApiBase };
            using HttpResponseMessage response = await http.PostAsJsonAsync($"endpoints/{settings.Model}/score", new { prompt = settings.Prompt }, cancellationToken);
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                using JsonDocument doc = JsonDocument.Parse(body);
                answer = doc.RootElement.GetProperty("completion").GetString();
                answeredBy = doc.RootElement.GetProperty("deployment").GetString();
            }
            else
            {
                say($"endpoint answered {(int)response.StatusCode}: {body}");
            }
        }

        bool ok = result is { Succeeded: true } && answer is not null;
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                succeeded = ok,
                instanceId,
                runtimeStatus = view.RuntimeStatus,
                summary = result?.Summary ?? view.Failure,
                model = settings.Model,
                version = result?.Version?.Version,
                stages = result?.Stages.Select(s => new { stage = s.Stage.Name(), state = s.State.ToString(), s.Seconds, s.Detail }),
                data = result?.Data,
                training = result?.Training is { } t ? new { t.JobId, t.Attempts, t.Evictions, t.Metrics, t.CostUsd, t.OnDemandCostUsd, t.Ledger } : null,
                gate = result?.Gate,
                rollout = result?.Rollout,
                endpoint = new { url = new Uri(stack.ApiBase, $"endpoints/{settings.Model}/score"), prompt = settings.Prompt, deployment = answeredBy, completion = answer },
                totalSeconds = Math.Round(total.Elapsed.TotalSeconds, 1),
            }, Json));
        }
        else
        {
            var table = new Table().AddColumns("stage", "state", "seconds", "detail");
            foreach (StageReport s in result?.Stages ?? [])
            {
                table.AddRow(Markup.Escape(s.Stage.Name()), Markup.Escape(s.State.ToString()), s.Seconds?.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) ?? "", Markup.Escape(s.Detail));
            }

            AnsiConsole.Write(table);
            say(result?.Summary ?? $"{instanceId} ended {view.RuntimeStatus}: {view.Failure}");
            if (answer is not null)
            {
                say($"endpoint {settings.Model} ({answeredBy}) ← \"{settings.Prompt}\"");
                // A byte-level model's continuation carries its own leading space; a word-level one's does not.
                string joined = answer.Length > 0 && char.IsWhiteSpace(answer[0]) ? settings.Prompt + answer : $"{settings.Prompt} {answer}";
                say($"                      → \"{joined}\"");
            }

            say($"total {total.Elapsed.TotalSeconds:F1} s");
        }

        return ok ? 0 : 1;
    }

    /// <summary>Why the jobs' Python cannot import torch, or null when it can.</summary>
    static async Task<string?> TorchMissingAsync(CancellationToken cancellationToken)
    {
        string python = Training.LocalJobOptions.DefaultPython;
        var psi = new ProcessStartInfo(python, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        try
        {
            using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
            string stderr = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? null : $"{python} cannot import torch ({stderr.Trim().Split('\n')[^1]})";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{python} cannot be started ({e.Message})";
        }
    }
}
