using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using Azure;
using Azure.Core;
using GenAiServerless.Platform;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Training.Components;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Training.AzureMl;

/// <summary>Azure ML command jobs over the ARM REST API (<c>PUT …/jobs/{id}</c>): the model's training component runs
/// from the components code asset in the component's environment, its inputs and outputs on the pipeline's datastores.</summary>
/// <remarks>Idempotent by construction: the job id derives from the orchestration instance and attempt, and a PUT on
/// an existing id starts nothing new — a GET first makes the retry cheap and keeps a finished job's record intact. A
/// job's <c>metrics.json</c> and progress are read from the datastores' containers (the data account), which jobs write
/// through their mounts.</remarks>
public sealed class AzureMlJobBackend(AzureMlClient client, AzureMlCodeAsset code, IOptions<TrainingOptions> training, PipelineStorage storage) : IJobBackend
{
    AzureMlOptions Options => client.Options;

    public async Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (await client.GetAsync(JobPath(submission.JobId), cancellationToken) is { } existing)
        {
            return await ToStatusAsync(submission.JobId, existing, cancellationToken);
        }

        string codeId = await code.EnsureAsync(cancellationToken);
        ArmResponse created = await client.SendAsync(RequestMethod.Put, JobPath(submission.JobId), JobBody(submission, codeId), [200, 201], cancellationToken);
        return await ToStatusAsync(submission.JobId, created.Body!.Value, cancellationToken);
    }

    public async Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken)
    {
        JsonElement? job = await client.GetAsync(JobPath(jobId), cancellationToken);
        return job is { } j ? await ToStatusAsync(jobId, j, cancellationToken) : new JobStatus(jobId, JobState.Failed, 0, 0, $"Azure ML has no job '{jobId}'");
    }

    public async Task CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        // A job that is gone or already ended has nothing to cancel.
        _ = await client.SendAsync(RequestMethod.Post, $"{JobPath(jobId)}/cancel", null, [200, 202, 204, 404], cancellationToken);
    }

    /// <summary>The numbers of the job's <c>metrics.json</c> (the job contract's output), read from its output folder.</summary>
    public async Task<IReadOnlyDictionary<string, double>> GetMetricsAsync(string jobId, CancellationToken cancellationToken)
    {
        (Azure.Storage.Blobs.BlobContainerClient container, string prefix) = storage.Locate(OutputPrefix(jobId));
        BinaryData content;
        try
        {
            content = (await container.GetBlobClient(prefix + "metrics.json").DownloadContentAsync(cancellationToken)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new InvalidOperationException($"job {jobId} wrote no metrics.json (expected at {OutputPrefix(jobId)}metrics.json)", e);
        }

        using JsonDocument doc = JsonDocument.Parse(content);
        return doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number)
            .ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal);
    }

    /// <summary>Where the job's outputs land: its folder on the models datastore, which is the data account's container
    /// of the same name.</summary>
    public string OutputPrefix(string jobId) => $"{Options.ModelsDatastore}/jobs/{jobId}/";

    /// <summary>The request body of <c>PUT W/jobs/{id}</c> for one attempt (public for the contract tests).</summary>
    public JsonObject JobBody(JobSubmission submission, string codeId)
    {
        ArgumentNullException.ThrowIfNull(submission);
        TrainingComponent component = training.Value.AllComponents().GetValueOrDefault(submission.Component)
            ?? throw new InvalidOperationException($"job {submission.JobId}: no training component '{submission.Component}' (Training:Components)");
        var inputs = new JsonObject();
        for (int i = 0; i < submission.DataPrefixes.Count; i++)
        {
            inputs[$"data_{i}"] = Folder($"azureml://datastores/{Options.CuratedDatastore}/paths/{TrimContainer(submission.DataPrefixes[i])}", "ReadOnlyMount", input: true);
        }

        var outputs = new JsonObject
        {
            ["model"] = Folder($"azureml://datastores/{Options.ModelsDatastore}/paths/jobs/{submission.JobId}/", "ReadWriteMount", input: false),
        };
        if (submission.Kind == JobKind.Train)
        {
            // Checkpoints belong to the logical job, not the attempt: every attempt mounts the same folder and resumes.
            outputs["checkpoints"] = Folder($"azureml://datastores/{Options.CheckpointsDatastore}/paths/{submission.CheckpointKey}/", "ReadWriteMount", input: false);
        }
        else
        {
            inputs["model"] = Folder(AzureMlModelAssets.DatastoreUri(Options, submission.ModelPrefix ?? throw new ArgumentException("An evaluation job needs a model.")), "ReadOnlyMount", input: true);
            if (submission.Evaluation is { } evaluation)
            {
                inputs["evalset"] = Folder(AzureMlModelAssets.DatastoreUri(Options, evaluation.EvalSetPrefix), "ReadOnlyMount", input: true);
                inputs["prompts"] = Folder(AzureMlModelAssets.DatastoreUri(Options, evaluation.PromptsPrefix), "ReadOnlyMount", input: true);
            }
        }

        (string staging, string data) = DataFolder(submission.DataPrefixes.Count);
        string command = staging + JobCommand.Render(
            submission.Kind == JobKind.Train ? component.TrainCommand : component.EvaluateCommand,
            name => name switch
            {
                "data" => data,
                "out" => "${{outputs.model}}",
                "checkpoints" when submission.Kind == JobKind.Train => "${{outputs.checkpoints}}",
                "model" when submission.Kind == JobKind.Evaluate => "${{inputs.model}}",
                "evalset" when submission.Evaluation is not null => "${{inputs.evalset}}",
                "prompts" when submission.Evaluation is not null => "${{inputs.prompts}}",
                _ => null,
            },
            submission.Kind == JobKind.Train ? submission.Hyperparameters : new Dictionary<string, string>());

        var properties = new JsonObject
        {
            ["jobType"] = "Command",
            ["displayName"] = submission.JobId,
            ["experimentName"] = Options.ExperimentName,
            ["codeId"] = codeId,
            ["command"] = command,
            ["environmentId"] = component.Environment,
            ["identity"] = new JsonObject { ["identityType"] = "Managed" },
            ["inputs"] = inputs,
            ["outputs"] = outputs,
            ["resources"] = new JsonObject { ["instanceCount"] = 1 },
            ["limits"] = new JsonObject { ["jobLimitsType"] = "Command", ["timeout"] = XmlConvert.ToString(Options.JobTimeout) },

            // The attempt fences the checkpoints: a trainer stops once a later attempt has claimed them.
            ["environmentVariables"] = new JsonObject { ["GENAI_JOB_ATTEMPT"] = submission.Attempt.ToString(CultureInfo.InvariantCulture) },
            ["tags"] = new JsonObject
            {
                ["attempt"] = submission.Attempt.ToString(CultureInfo.InvariantCulture),
                ["checkpointKey"] = submission.CheckpointKey,
                ["component"] = submission.Component,
                ["kind"] = submission.Kind.ToString(),
            },
            ["properties"] = new JsonObject(),
        };
        if (Cluster(submission, component) is { } cluster)
        {
            // A cluster decides spot by its vmPriority and the VM by its vmSize: no job tier, and no instance type (one
            // the cluster does not have fails the job; the spot selector's pick is the price estimate, not the VM).
            properties["computeId"] = client.ResourceId($"computes/{cluster}");
        }
        else
        {
            // Serverless compute: the job tier says spot (low priority) or standard, the instance type which VM.
            properties["queueSettings"] = new JsonObject { ["jobTier"] = submission.Spot ? "Spot" : "Standard" };
            properties["resources"]!["instanceType"] = string.IsNullOrWhiteSpace(component.InstanceType) ? submission.InstanceType : component.InstanceType;
        }

        return new JsonObject { ["properties"] = properties };
    }

    /// <summary>The cluster an attempt runs on: the low-priority one for a spot attempt, the dedicated one otherwise (the
    /// component's own over the workspace settings); null runs it on serverless compute.</summary>
    string? Cluster(JobSubmission submission, TrainingComponent component)
    {
        string? name = submission.Spot
            ? (string.IsNullOrWhiteSpace(component.Compute) ? Options.ComputeName : component.Compute)
            : (string.IsNullOrWhiteSpace(component.DedicatedCompute) ? Options.DedicatedComputeName : component.DedicatedCompute);
        return string.IsNullOrWhiteSpace(name) ? null : name;
    }

    /// <summary>The folder the job reads as its data: the one dataset's mount, or (retraining on several) a folder of
    /// links to every dataset's shards, each named after its split with the dataset's index after it so names stay
    /// distinct and the job contract's <c>train-*</c>, <c>validation-*</c>, <c>test-*</c> patterns still match.</summary>
    static (string Staging, string Data) DataFolder(int datasets)
    {
        if (datasets == 1)
        {
            return (string.Empty, "${{inputs.data_0}}");
        }

        string mounts = string.Join(' ', Enumerable.Range(0, datasets).Select(i => $"${{{{inputs.data_{i}}}}}"));
        string staging = "d=\"${TMPDIR:-/tmp}/genai-data\"; mkdir -p \"$d\"; i=0; for s in " + mounts
            + "; do for f in \"$s\"/*.jsonl; do [ -e \"$f\" ] || continue; b=$(basename \"$f\"); ln -sf \"$f\" \"$d/${b%%-*}-$i-${b#*-}\"; done; i=$((i+1)); done; ";
        return (staging, "\"$d\"");
    }

    static JsonObject Folder(string uri, string mode, bool input) => input
        ? new JsonObject { ["jobInputType"] = "uri_folder", ["uri"] = uri, ["mode"] = mode }
        : new JsonObject { ["jobOutputType"] = "uri_folder", ["uri"] = uri, ["mode"] = mode };

    /// <summary>Maps Azure ML's job status (lenient: unknown values are kept as running) to ours. Azure ML has no
    /// Preempted status: a preempted job is restarted by the service (Running → Queued) or ends Failed; the
    /// orchestrator sees the regression and counts the eviction.</summary>
    public static JobState MapStatus(string? status) => status switch
    {
        "Completed" => JobState.Completed,
        "Failed" => JobState.Failed,
        "Canceled" or "CancelRequested" => JobState.Canceled,
        "NotStarted" or "Starting" or "Provisioning" or "Preparing" or "Queued" or "Paused" => JobState.Queued,
        _ => JobState.Running, // Running, Finalizing, NotResponding, Unknown and any new value
    };

    /// <summary>The job's state, its training progress (the job contract's <c>progress.json</c> in its checkpoints) and
    /// the time it has been billed for, as far as ARM shows it (from its creation to its last change, or to now while it
    /// runs; queueing included).</summary>
    async Task<JobStatus> ToStatusAsync(string jobId, JsonElement job, CancellationToken cancellationToken)
    {
        JsonElement properties = job.GetProperty("properties");
        string? status = properties.TryGetProperty("status", out JsonElement s) ? s.GetString() : null;
        JobState state = MapStatus(status);
        double billed = 0;
        if (job.TryGetProperty("systemData", out JsonElement system)
            && system.TryGetProperty("createdAt", out JsonElement created) && created.TryGetDateTimeOffset(out DateTimeOffset createdAt))
        {
            DateTimeOffset end = state is JobState.Completed or JobState.Failed or JobState.Canceled
                && system.TryGetProperty("lastModifiedAt", out JsonElement modified) && modified.TryGetDateTimeOffset(out DateTimeOffset m) ? m : DateTimeOffset.UtcNow;
            billed = Math.Max(0, (end - createdAt).TotalSeconds);
        }

        double progress = state == JobState.Completed ? 1 : await ProgressAsync(properties, cancellationToken);

        // ARM does not carry a job's error: point at the studio page that shows its logs.
        string detail = status ?? "unknown";
        if (state == JobState.Failed && properties.TryGetProperty("services", out JsonElement services)
            && services.TryGetProperty("Studio", out JsonElement studio) && studio.TryGetProperty("endpoint", out JsonElement url) && url.GetString() is { Length: > 0 } link)
        {
            detail += $" (logs: {link})";
        }

        return new JobStatus(jobId, state, progress, billed, detail);
    }

    async Task<double> ProgressAsync(JsonElement properties, CancellationToken cancellationToken)
    {
        if (!properties.TryGetProperty("tags", out JsonElement tags) || !tags.TryGetProperty("checkpointKey", out JsonElement key) || key.GetString() is not { } checkpointKey)
        {
            return 0;
        }

        try
        {
            BinaryData content = (await storage.Container(Options.CheckpointsDatastore).GetBlobClient($"{checkpointKey}/progress.json").DownloadContentAsync(cancellationToken)).Value.Content;
            using JsonDocument doc = JsonDocument.Parse(content);
            double step = doc.RootElement.GetProperty("step").GetDouble();
            double total = doc.RootElement.GetProperty("totalSteps").GetDouble();
            return total > 0 ? Math.Clamp(step / total, 0, 1) : 0;
        }
        catch (Exception e) when (e is RequestFailedException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return 0; // no progress written yet, or being rewritten: the next poll reads it
        }
    }

    static string JobPath(string jobId) => $"jobs/{Uri.EscapeDataString(jobId)}";

    static string TrimContainer(string containerAndPrefix)
    {
        int slash = containerAndPrefix.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? containerAndPrefix : containerAndPrefix[(slash + 1)..];
    }
}
