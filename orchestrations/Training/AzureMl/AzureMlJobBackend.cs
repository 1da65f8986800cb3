using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GenAiServerless.Training.AzureMl;

/// <summary>Azure ML command jobs over the ARM REST API (<c>PUT …/jobs/{id}</c>), through a thin client on
/// <see cref="HttpPipeline"/>: <c>Azure.ResourceManager.MachineLearning</c> is not available to us, and
/// <c>GenericResource</c> cannot call POST actions nor omit <c>location</c> (it picks the provider's first api-version unless pinned per type).</summary>
/// <remarks>Idempotent by construction: the job id derives from the orchestration instance and attempt, and a PUT on
/// an existing id starts nothing new — a GET first makes the retry cheap and keeps a finished job's record intact.</remarks>
public sealed class AzureMlJobBackend(HttpPipeline pipeline, AzureMlOptions options) : IJobBackend
{
    /// <summary>Creates the backend with a bearer-token pipeline for ARM.</summary>
    public static AzureMlJobBackend Create(TokenCredential credential, AzureMlOptions options, ClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        HttpPipeline pipeline = HttpPipelineBuilder.Build(
            clientOptions ?? new AzureMlClientOptions(),
            new BearerTokenAuthenticationPolicy(credential, "https://management.azure.com/.default"));
        return new AzureMlJobBackend(pipeline, options);
    }

    public async Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (await GetJobAsync(submission.JobId, cancellationToken) is { } existing)
        {
            return ToStatus(submission.JobId, existing);
        }

        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Put;
        message.Request.Uri.Reset(JobUri(submission.JobId));
        message.Request.Headers.Add("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(BinaryData.FromString(JobBody(submission).ToJsonString()));
        JsonElement job = await SendAsync(message, [200, 201], cancellationToken);
        return ToStatus(submission.JobId, job);
    }

    public async Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken)
    {
        JsonElement? job = await GetJobAsync(jobId, cancellationToken);
        return job is { } j ? ToStatus(jobId, j) : new JobStatus(jobId, JobState.Failed, 0, 0, $"Azure ML has no job '{jobId}'");
    }

    public async Task CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(new Uri($"{JobUri(jobId).GetLeftPart(UriPartial.Path)}/cancel?api-version={options.ApiVersion}"));
        _ = await SendAsync(message, [200, 202, 204], cancellationToken);
    }

    /// <summary>Reads the job's MLflow run (the run id is the job name): the last value of each metric.</summary>
    public async Task<IReadOnlyDictionary<string, double>> GetMetricsAsync(string jobId, CancellationToken cancellationToken)
    {
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(new Uri(
            $"https://{options.Region}.api.azureml.ms/mlflow/v1.0{options.WorkspacePath}/api/2.0/mlflow/runs/get?run_id={Uri.EscapeDataString(jobId)}"));
        JsonElement body = await SendAsync(message, [200], cancellationToken);
        var metrics = new Dictionary<string, (long Step, long Time, double Value)>(StringComparer.Ordinal);
        if (body.TryGetProperty("run", out JsonElement run) && run.TryGetProperty("data", out JsonElement data) && data.TryGetProperty("metrics", out JsonElement list))
        {
            foreach (JsonElement m in list.EnumerateArray())
            {
                string key = m.GetProperty("key").GetString() ?? string.Empty;
                double value = m.GetProperty("value").GetDouble();
                long step = m.TryGetProperty("step", out JsonElement s) && s.TryGetInt64(out long sv) ? sv : 0;
                long time = m.TryGetProperty("timestamp", out JsonElement t) && t.TryGetInt64(out long tv) ? tv : 0;
                if (!metrics.TryGetValue(key, out var prior) || (step, time).CompareTo((prior.Step, prior.Time)) >= 0)
                {
                    metrics[key] = (step, time, value);
                }
            }
        }

        return metrics.ToDictionary(kv => kv.Key, kv => kv.Value.Value, StringComparer.Ordinal);
    }

    public string OutputPrefix(string jobId) => $"{options.ModelsDatastore}/jobs/{jobId}/";

    /// <summary>The request body of <c>PUT W/jobs/{id}</c> for one attempt (public for the contract tests).</summary>
    public JsonObject JobBody(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        string dataset = submission.DataPrefixes.Count > 0 ? TrimContainer(submission.DataPrefixes[0]) : string.Empty;
        var inputs = new JsonObject
        {
            ["data"] = new JsonObject { ["jobInputType"] = "uri_folder", ["uri"] = $"azureml://datastores/{options.CuratedDatastore}/paths/{dataset}", ["mode"] = "ReadOnlyMount" },
        };
        var outputs = new JsonObject
        {
            ["model"] = new JsonObject { ["jobOutputType"] = "uri_folder", ["uri"] = $"azureml://datastores/{options.ModelsDatastore}/paths/jobs/{submission.JobId}/", ["mode"] = "ReadWriteMount" },
        };
        string command;
        if (submission.Kind == JobKind.Train)
        {
            // Checkpoints belong to the logical job, not the attempt: every attempt mounts the same folder and resumes.
            outputs["checkpoints"] = new JsonObject { ["jobOutputType"] = "uri_folder", ["uri"] = $"azureml://datastores/{options.CheckpointsDatastore}/paths/{submission.CheckpointKey}/", ["mode"] = "ReadWriteMount" };
            command = "genai-trainer train --data ${{inputs.data}} --out ${{outputs.model}} --checkpoints ${{outputs.checkpoints}}"
                + string.Concat(submission.Hyperparameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $" --{p.Key} {p.Value}"));
        }
        else
        {
            inputs["model"] = new JsonObject { ["jobInputType"] = "uri_folder", ["uri"] = $"azureml://datastores/{options.ModelsDatastore}/paths/{TrimContainer(submission.ModelPrefix ?? string.Empty)}", ["mode"] = "ReadOnlyMount" };
            command = "genai-trainer evaluate --model ${{inputs.model}} --data ${{inputs.data}} --out ${{outputs.model}}";
        }

        var properties = new JsonObject
        {
            ["jobType"] = "Command",
            ["displayName"] = submission.JobId,
            ["experimentName"] = options.ExperimentName,
            ["command"] = command,
            ["environmentId"] = options.EnvironmentId,
            ["identity"] = new JsonObject { ["identityType"] = "Managed" },
            ["inputs"] = inputs,
            ["outputs"] = outputs,
            ["resources"] = new JsonObject { ["instanceCount"] = 1, ["instanceType"] = submission.InstanceType },
            ["limits"] = new JsonObject { ["jobLimitsType"] = "Command", ["timeout"] = options.Timeout },
            // The attempt fences the checkpoints: a trainer stops once a later attempt has claimed them.
            ["environmentVariables"] = new JsonObject { ["GENAI_JOB_ATTEMPT"] = submission.Attempt.ToString(CultureInfo.InvariantCulture) },
            ["tags"] = new JsonObject { ["attempt"] = submission.Attempt.ToString(CultureInfo.InvariantCulture), ["checkpointKey"] = submission.CheckpointKey },
            ["properties"] = new JsonObject(),
        };
        if (!string.IsNullOrEmpty(options.ComputeName))
        {
            // A low-priority cluster decides spot by its vmPriority; a dedicated attempt needs a dedicated cluster.
            properties["computeId"] = $"{options.WorkspacePath}/computes/{options.ComputeName}";
        }
        else
        {
            // Serverless compute: the job tier says spot (low priority) or standard.
            properties["queueSettings"] = new JsonObject { ["jobTier"] = submission.Spot ? "Spot" : "Standard" };
        }

        return new JsonObject { ["properties"] = properties };
    }

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

    static JobStatus ToStatus(string jobId, JsonElement job)
    {
        JsonElement properties = job.GetProperty("properties");
        string? status = properties.TryGetProperty("status", out JsonElement s) ? s.GetString() : null;
        JobState state = MapStatus(status);
        return new JobStatus(jobId, state, state == JobState.Completed ? 1 : 0, 0, status ?? "unknown");
    }

    async Task<JsonElement?> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(JobUri(jobId));
        await pipeline.SendAsync(message, cancellationToken);
        if (message.Response.Status == 404)
        {
            return null;
        }

        return Parse(message, [200]);
    }

    async Task<JsonElement> SendAsync(HttpMessage message, int[] expected, CancellationToken cancellationToken)
    {
        await pipeline.SendAsync(message, cancellationToken);
        return Parse(message, expected);
    }

    static JsonElement Parse(HttpMessage message, int[] expected)
    {
        Response response = message.Response;
        if (!expected.Contains(response.Status))
        {
            // ARM errors: {"error":{"code","message",…}}
            string detail = response.Content?.ToString() ?? string.Empty;
            string code = "unknown";
            try
            {
                using JsonDocument doc = JsonDocument.Parse(detail);
                if (doc.RootElement.TryGetProperty("error", out JsonElement e))
                {
                    code = e.TryGetProperty("code", out JsonElement c) ? c.GetString() ?? code : code;
                    detail = e.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? detail : detail;
                }
            }
            catch (JsonException)
            {
                // not JSON: keep the raw text
            }

            throw new RequestFailedException(response.Status, $"Azure ML {message.Request.Method} {message.Request.Uri} answered {response.Status} {code}: {detail}", code, null);
        }

        if (response.Content is null || response.Content.ToMemory().Length == 0)
        {
            return default;
        }

        using JsonDocument body = JsonDocument.Parse(response.Content.ToMemory());
        return body.RootElement.Clone();
    }

    Uri JobUri(string jobId) =>
        new($"{options.ManagementEndpoint.ToString().TrimEnd('/')}{options.WorkspacePath}/jobs/{Uri.EscapeDataString(jobId)}?api-version={options.ApiVersion}");

    static string TrimContainer(string containerAndPrefix)
    {
        int slash = containerAndPrefix.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? containerAndPrefix : containerAndPrefix[(slash + 1)..];
    }
}

/// <summary>Client options (retries, logging) for the Azure ML REST client.</summary>
public sealed class AzureMlClientOptions : ClientOptions
{
}
