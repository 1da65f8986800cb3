using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Platform.AzureMl;

namespace GenAiServerless.Rollout.AzureMl;

/// <summary>Azure ML managed online endpoints over the ARM REST API: one endpoint per model (created on first use, key or
/// AAD-token auth), deployments of registered model versions that run the components' <c>score.py</c> in the scoring
/// environment, traffic changed by GET → edit → PUT of the endpoint, and scoring through the endpoint's scoring URI.</summary>
/// <remarks>A deployment's provisioning is not awaited here: <see cref="CreateDeploymentAsync"/> starts it and the rollout
/// polls <see cref="GetEndpointAsync"/> between durable timers, so no activity runs for the many minutes a GPU deployment
/// can take. Endpoint changes (creation, traffic, deletion) are short operations that are awaited, bounded by
/// <see cref="AzureMlOptions.OperationTimeout"/>.</remarks>
public sealed class AzureMlEndpointHost(AzureMlClient client, AzureMlCodeAsset code, HttpPipeline scoring, TokenCredential credential, TimeProvider clock)
    : IEndpointHost, IDeploymentMetrics
{
    /// <summary>The Azure Monitor metrics API version (metrics_API.json).</summary>
    public const string MetricsApiVersion = "2023-10-01";

    /// <summary>The header that pins a scoring request to a deployment, and names the deployment that answered.</summary>
    public const string DeploymentHeader = "azureml-model-deployment";

    /// <summary>The token scope of online endpoints with <c>authMode: AADToken</c>.</summary>
    public const string ScoringScope = "https://ml.azure.com/.default";

    /// <summary>How long an endpoint's scoring URI and key are reused before they are read again.</summary>
    static readonly TimeSpan ScoringCacheLifetime = TimeSpan.FromMinutes(5);

    readonly ConcurrentDictionary<string, ScoringTarget> targets = new(StringComparer.Ordinal);

    AzureMlOptions Options => client.Options;

    /// <summary>The Azure endpoint of a model: <see cref="AzureMlOptions.EndpointPrefix"/> and the model's name, lower
    /// case, letters, digits and dashes, at most 32 characters (Azure's rule; names are unique within a region).</summary>
    public string EndpointName(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = new StringBuilder();
        foreach (char c in (Options.EndpointPrefix + model).ToLowerInvariant())
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        string result = name.ToString().Trim('-');
        result = result.Length > 32 ? result[..32].TrimEnd('-') : result;
        if (result.Length < 3 || !char.IsAsciiLetter(result[0]))
        {
            throw new ArgumentException($"model '{model}' gives no valid online endpoint name ('{result}'): it must start with a letter and have 3–32 letters, digits or dashes; set AzureMl:EndpointPrefix", nameof(model));
        }

        return result;
    }

    public async Task CreateDeploymentAsync(DeploymentSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string endpoint = EndpointName(spec.Endpoint);
        await EnsureEndpointAsync(endpoint, spec.Endpoint, cancellationToken);
        string path = DeploymentPath(endpoint, spec.Deployment);
        if (await client.GetAsync(path, cancellationToken) is not null)
        {
            return; // a retried activity or a replay: the deployment exists and provisions (or did)
        }

        string modelId = await EnsureModelAssetAsync(spec.Model, cancellationToken);
        string codeId = await code.EnsureAsync(cancellationToken);
        _ = await client.SendAsync(RequestMethod.Put, path, DeploymentBody(spec, modelId, codeId), [200, 201], cancellationToken);
    }

    public async Task<EndpointInfo> GetEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        string name = EndpointName(endpoint);
        if (await client.GetAsync(EndpointPath(name), cancellationToken) is not { } found)
        {
            return new EndpointInfo(endpoint, [], new Dictionary<string, int>(), new Dictionary<string, int>());
        }

        JsonElement properties = found.GetProperty("properties");
        var deployments = new List<DeploymentInfo>();
        JsonElement? list = await client.GetAsync($"{EndpointPath(name)}/deployments", cancellationToken);
        if (list is { } l && l.TryGetProperty("value", out JsonElement value))
        {
            foreach (JsonElement d in value.EnumerateArray())
            {
                deployments.Add(await ToDeploymentAsync(name, d, cancellationToken));
            }
        }

        return new EndpointInfo(endpoint, [.. deployments.OrderBy(d => d.Name, StringComparer.Ordinal)], Weights(properties, "traffic"), Weights(properties, "mirrorTraffic"));
    }

    /// <summary>GET → edit → PUT of the endpoint (a PATCH cannot change traffic), then waits for the update.</summary>
    public async Task SetTrafficAsync(TrafficSplit split, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(split);
        int total = split.Traffic.Values.Sum();
        if (split.Traffic.Count > 0 && total != 100 && total != 0)
        {
            throw new InvalidOperationException($"traffic for endpoint {split.Endpoint} must sum to 100, got {total}");
        }

        CheckMirror(split);

        string name = EndpointName(split.Endpoint);
        JsonObject body = await ReadForUpdateAsync(name, cancellationToken);
        JsonObject properties = body["properties"]!.AsObject();
        properties["traffic"] = Weights(split.Traffic);
        properties["mirrorTraffic"] = Weights(split.Mirror ?? new Dictionary<string, int>());
        ArmResponse started = await client.SendAsync(RequestMethod.Put, EndpointPath(name), body, [200, 201], cancellationToken);
        await client.WaitAsync(started, EndpointPath(name), cancellationToken);
    }

    /// <summary>Azure's rules for <c>mirrorTraffic</c>, checked before any request so a bad split fails with its reason
    /// rather than an ARM 400: a deployment takes live traffic or mirrored traffic, never both, and at most 50 % of the
    /// requests are mirrored.</summary>
    static void CheckMirror(TrafficSplit split)
    {
        if (split.Mirror is not { Count: > 0 } mirror)
        {
            return;
        }

        foreach ((string deployment, int weight) in mirror)
        {
            if (weight is < 0 or > 50)
            {
                throw new ArgumentException($"mirror traffic of deployment {deployment} on endpoint {split.Endpoint} must lie in 0..50 %, got {weight}", nameof(split));
            }

            if (weight > 0 && split.Traffic.GetValueOrDefault(deployment) > 0)
            {
                throw new ArgumentException(
                    $"deployment {deployment} on endpoint {split.Endpoint} would take {split.Traffic[deployment]} % live traffic and {weight} % mirrored traffic: Azure ML mirrors only to a deployment that takes no live traffic (mirror first, then shift live traffic with its mirror at 0)",
                    nameof(split));
            }
        }

        int mirrored = mirror.Values.Sum();
        if (mirrored > 50)
        {
            throw new ArgumentException($"mirror traffic on endpoint {split.Endpoint} must sum to at most 50 %, got {mirrored}", nameof(split));
        }
    }

    public async Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? deployment, CancellationToken cancellationToken)
    {
        string name = EndpointName(endpoint);
        (string answered, string text) = await PostScoringAsync(name, ScoreBody(prompt), deployment, cancellationToken);
        return new ScoreResult(answered, Completion(name, answered, text));
    }

    /// <summary>The loss of a text: <c>{"text": …}</c> pinned to the deployment, which <c>score.py</c> answers with the
    /// evaluation's figures, <c>{"bits", "bytes"}</c>.</summary>
    public async Task<LossScore> ScoreLossAsync(string endpoint, string text, string deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        string name = EndpointName(endpoint);
        (string answered, string body) = await PostScoringAsync(name, LossBody(text), deployment, cancellationToken);
        return Loss(name, answered, body);
    }

    /// <summary>The body of a completion request to <c>score.py</c> (public for the contract tests).</summary>
    public static JsonObject ScoreBody(string prompt) => new() { ["prompt"] = prompt };

    /// <summary>The body of a loss request to <c>score.py</c> (public for the contract tests).</summary>
    public static JsonObject LossBody(string text) => new() { ["text"] = text };

    /// <summary>Posts a scoring request (pinned when <paramref name="deployment"/> is given) and returns the deployment that
    /// answered and the answer; a rotated key is read again once, any other failure is an <see cref="HttpRequestException"/>.</summary>
    async Task<(string Answered, string Text)> PostScoringAsync(string name, JsonObject body, string? deployment, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            ScoringTarget target = await TargetAsync(name, refresh: attempt > 0, cancellationToken);
            using HttpMessage message = scoring.CreateMessage();
            message.Request.Method = RequestMethod.Post;
            message.Request.Uri.Reset(target.Uri);
            message.Request.Headers.SetValue("Authorization", $"Bearer {target.Credential}");
            message.Request.Headers.SetValue("Content-Type", "application/json");
            if (deployment is not null)
            {
                message.Request.Headers.SetValue(DeploymentHeader, deployment);
            }

            message.Request.Content = RequestContent.Create(BinaryData.FromString(body.ToJsonString()));
            await scoring.SendAsync(message, cancellationToken);
            Response response = message.Response;

            // A rotated key: read the keys again, once.
            if (response.Status == 401 && attempt == 0)
            {
                continue;
            }

            string answered = response.Headers.TryGetValue(DeploymentHeader, out string? header) ? header : deployment ?? "unknown";
            string text = response.Content?.ToString() ?? string.Empty;
            if (response.Status is < 200 or > 299)
            {
                string reason = response.Headers.TryGetValue("ms-azureml-model-error-reason", out string? modelError) ? $" (model error: {modelError})" : string.Empty;
                throw new HttpRequestException($"online endpoint {name} ({answered}) answered {response.Status}{reason}: {Truncate(text, 500)}", null, (System.Net.HttpStatusCode)response.Status);
            }

            return (answered, text);
        }
    }

    /// <summary>A deployment's requests, failures and p95 latency from Azure Monitor: <c>GET {deployment id}/providers/
    /// Microsoft.Insights/metrics</c> with <c>RequestsPerMinute</c> (one read) split by <c>envoy_response_code</c> (5xx, 408 timeout,
    /// 424 model error and 429 throttled count as failed) and <c>RequestLatency_P95</c> (a second read) in PT1M buckets. The p95 of the window is the request-weighted mean
    /// of the buckets' p95s. Azure Monitor aggregates per minute and publishes with a delay, so a window shorter than a
    /// few minutes may read nothing yet: the analysis then has no verdict rather than a wrong one.</summary>
    public async Task<DeploymentMetrics> ReadAsync(MetricsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        string resource = client.ResourceId(DeploymentPath(EndpointName(query.Endpoint), query.Deployment));
        DateTimeOffset from = query.From.ToUniversalTime(), to = query.To <= query.From ? query.From.AddMinutes(1) : query.To.ToUniversalTime();
        string timespan = $"{from:yyyy-MM-ddTHH:mm:ssZ}/{to:yyyy-MM-ddTHH:mm:ssZ}";
        string window = $"timespan={Uri.EscapeDataString(timespan)}&interval=PT1M";
        string path = $"{resource}/providers/Microsoft.Insights/metrics";

        // Two reads: a $filter applies to every metric named, and the latency percentiles have no dimension.
        JsonElement? counts = await MetricsAsync(path, $"metricnames=RequestsPerMinute&{window}&aggregation=total&$filter={Uri.EscapeDataString("envoy_response_code eq '*'")}", cancellationToken);
        JsonElement? latencies = counts is null ? null : await MetricsAsync(path, $"metricnames=RequestLatency_P95&{window}&aggregation=average", cancellationToken);
        if (counts is not { } countsBody || latencies is not { } latencyBody)
        {
            return new DeploymentMetrics(query.Deployment, 0, 0, null);
        }

        long requests = 0, errors = 0;
        var perBucket = new Dictionary<string, double>(StringComparer.Ordinal);
        var p95 = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (JsonElement metric in countsBody.GetProperty("value").EnumerateArray().Concat(latencyBody.GetProperty("value").EnumerateArray()))
        {
            string name = metric.GetProperty("name").GetProperty("value").GetString() ?? string.Empty;
            foreach (JsonElement series in metric.GetProperty("timeseries").EnumerateArray())
            {
                string code = series.TryGetProperty("metadatavalues", out JsonElement meta)
                    ? meta.EnumerateArray().Where(m => m.GetProperty("name").GetProperty("value").GetString() is "envoy_response_code").Select(m => m.GetProperty("value").GetString()).FirstOrDefault() ?? string.Empty
                    : string.Empty;
                bool failed = code.StartsWith('5') || code is "408" or "424" or "429";
                foreach (JsonElement point in series.GetProperty("data").EnumerateArray())
                {
                    string at = point.GetProperty("timeStamp").GetString() ?? string.Empty;
                    if (name.Equals("RequestsPerMinute", StringComparison.OrdinalIgnoreCase) && point.TryGetProperty("total", out JsonElement total))
                    {
                        long n = (long)Math.Round(total.GetDouble());
                        requests += n;
                        errors += failed ? n : 0;
                        perBucket[at] = perBucket.GetValueOrDefault(at) + n;
                    }
                    else if (name.Equals("RequestLatency_P95", StringComparison.OrdinalIgnoreCase) && point.TryGetProperty("average", out JsonElement average))
                    {
                        p95[at] = average.GetDouble();
                    }
                }
            }
        }

        double weight = p95.Keys.Sum(at => perBucket.GetValueOrDefault(at));
        double? latency = p95.Count == 0 ? null
            : weight > 0 ? p95.Sum(kv => kv.Value * perBucket.GetValueOrDefault(kv.Key)) / weight
            : p95.Values.Max();
        return new DeploymentMetrics(query.Deployment, requests, errors, latency);
    }

    /// <summary>One Azure Monitor metrics read; null when the deployment is gone.</summary>
    async Task<JsonElement?> MetricsAsync(string path, string query, CancellationToken cancellationToken)
    {
        ArmResponse response = await client.SendAsync(RequestMethod.Get, client.Uri(path, query, MetricsApiVersion), null, [200, 404], path, cancellationToken);
        return response.Status == 404 ? null : response.Body;
    }

    /// <summary>Moves the deployment's traffic (live and mirrored) to 0 when the rest of the split allows it, then deletes
    /// it and waits for the deletion. A deployment that still carries traffic others cannot take over is refused.</summary>
    public async Task DeleteDeploymentAsync(DeploymentRef deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        string name = EndpointName(deployment.Endpoint);
        if (await client.GetAsync(EndpointPath(name), cancellationToken) is not { } found)
        {
            return;
        }

        JsonElement properties = found.GetProperty("properties");
        Dictionary<string, int> traffic = Weights(properties, "traffic");
        Dictionary<string, int> mirror = Weights(properties, "mirrorTraffic");
        if (traffic.GetValueOrDefault(deployment.Deployment) > 0 || mirror.ContainsKey(deployment.Deployment))
        {
            int own = traffic.GetValueOrDefault(deployment.Deployment);
            if (own > 0 && own < 100)
            {
                throw new InvalidOperationException($"deployment {deployment.Deployment} still takes {own}% of {name}; move its traffic first");
            }

            traffic.Remove(deployment.Deployment);
            mirror.Remove(deployment.Deployment);
            await SetTrafficAsync(new TrafficSplit(deployment.Endpoint, traffic, mirror), cancellationToken);
        }

        string path = DeploymentPath(name, deployment.Deployment);
        ArmResponse started = await client.SendAsync(RequestMethod.Delete, path, null, [200, 202, 204, 404], cancellationToken);
        if (started.Status != 404)
        {
            await client.WaitAsync(started, path, cancellationToken);
        }
    }

    /// <summary>The request body of <c>PUT W/onlineEndpoints/{e}/deployments/{d}</c> (public for the contract tests).</summary>
    public JsonObject DeploymentBody(DeploymentSpec spec, string modelId, string codeId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var body = new JsonObject
        {
            ["location"] = Options.Region,
            ["tags"] = new JsonObject
            {
                ["model"] = spec.Model.Model,
                ["version"] = spec.Model.Version.ToString(CultureInfo.InvariantCulture),
            },
            ["sku"] = new JsonObject { ["name"] = "Default", ["capacity"] = Options.DeploymentInstanceCount },
            ["properties"] = new JsonObject
            {
                ["endpointComputeType"] = "Managed",
                ["description"] = $"{spec.Model.Model} version {spec.Model.Version.ToString(CultureInfo.InvariantCulture)}",
                ["instanceType"] = Options.DeploymentInstanceType,
                ["model"] = modelId,
                ["codeConfiguration"] = new JsonObject { ["codeId"] = codeId, ["scoringScript"] = "score.py" },
                ["environmentId"] = Options.ScoringEnvironments.GetValueOrDefault(spec.Model.Model) ?? Options.ScoringEnvironmentId,
                ["scaleSettings"] = new JsonObject { ["scaleType"] = "Default" },
                ["requestSettings"] = new JsonObject
                {
                    ["requestTimeout"] = XmlConvert.ToString(Options.ScoringTimeout),
                    ["maxConcurrentRequestsPerInstance"] = 1,
                },
                ["livenessProbe"] = Probe(Options.ProbeInitialDelay),
                ["readinessProbe"] = Probe(Options.ProbeInitialDelay),
                ["appInsightsEnabled"] = true,
            },
        };
        if (Options.DeploymentEgress is { } egress)
        {
            body["properties"]!["egressPublicNetworkAccess"] = egress;
        }

        return body;
    }

    /// <summary>The request body of <c>PUT W/onlineEndpoints/{e}</c> when the endpoint is created (no traffic yet).</summary>
    public JsonObject EndpointBody(string model)
    {
        var identity = string.IsNullOrEmpty(Options.EndpointIdentityId)
            ? new JsonObject { ["type"] = "SystemAssigned" }
            : new JsonObject { ["type"] = "UserAssigned", ["userAssignedIdentities"] = new JsonObject { [Options.EndpointIdentityId] = new JsonObject() } };
        return new JsonObject
        {
            ["location"] = Options.Region,
            ["identity"] = identity,
            ["tags"] = new JsonObject { ["model"] = model },
            ["properties"] = new JsonObject
            {
                ["authMode"] = Options.EndpointAuthMode,
                ["description"] = $"GenAiServerless: online endpoint of {model}",
                ["publicNetworkAccess"] = Options.EndpointPublicNetworkAccess,
                ["traffic"] = new JsonObject(),
            },
        };
    }

    async Task EnsureEndpointAsync(string name, string model, CancellationToken cancellationToken)
    {
        if (await client.GetAsync(EndpointPath(name), cancellationToken) is { } existing)
        {
            string? state = existing.GetProperty("properties").TryGetProperty("provisioningState", out JsonElement s) ? s.GetString() : null;
            if (state is "Failed" or "Canceled")
            {
                throw new InvalidOperationException($"online endpoint {name} is in state {state}: delete it or fix it in the workspace before rolling out");
            }

            return;
        }

        ArmResponse started = await client.SendAsync(RequestMethod.Put, EndpointPath(name), EndpointBody(model), [200, 201], cancellationToken);
        await client.WaitAsync(started, EndpointPath(name), cancellationToken);
    }

    /// <summary>The model version's asset id; the registry mirror registers it, but a version registered before the mirror
    /// (or by the blob registry alone) is registered here from its files.</summary>
    async Task<string> EnsureModelAssetAsync(DeployableModel model, CancellationToken cancellationToken)
    {
        string path = AzureMlModelAssets.VersionPath(model.Model, model.Version);
        if (await client.GetAsync(path, cancellationToken) is null)
        {
            _ = await client.SendAsync(RequestMethod.Put, path, AzureMlModelAssets.VersionBody(Options, model.FilesPrefix, $"{model.Model} version {model.Version.ToString(CultureInfo.InvariantCulture)}", new JsonObject(), new JsonObject()), [200, 201], cancellationToken);
        }

        return client.ResourceId(path);
    }

    /// <summary>The endpoint as a PUT body: what a GET shows, less what only the service sets.</summary>
    async Task<JsonObject> ReadForUpdateAsync(string name, CancellationToken cancellationToken)
    {
        JsonElement current = await client.GetAsync(EndpointPath(name), cancellationToken)
            ?? throw new KeyNotFoundException($"no online endpoint {name}");
        JsonObject body = JsonNode.Parse(current.GetRawText())!.AsObject();
        foreach (string field in new[] { "id", "name", "type", "systemData" })
        {
            body.Remove(field);
        }

        JsonObject properties = body["properties"]!.AsObject();
        foreach (string field in new[] { "provisioningState", "scoringUri", "swaggerUri" })
        {
            properties.Remove(field);
        }

        return body;
    }

    async Task<DeploymentInfo> ToDeploymentAsync(string endpoint, JsonElement deployment, CancellationToken cancellationToken)
    {
        string name = deployment.GetProperty("name").GetString()!;
        JsonElement properties = deployment.GetProperty("properties");
        string? state = properties.TryGetProperty("provisioningState", out JsonElement s) ? s.GetString() : null;
        DeploymentProvisioning provisioning = MapProvisioning(state);
        string detail = state ?? "unknown";
        if (provisioning == DeploymentProvisioning.Failed)
        {
            detail = $"{state}: {await FailureAsync(endpoint, name, cancellationToken)}";
        }

        int version = 0;
        if (properties.TryGetProperty("model", out JsonElement model) && model.GetString() is { } id)
        {
            int slash = id.LastIndexOf('/');
            _ = int.TryParse(id.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out version);
        }

        return new DeploymentInfo(name, version, provisioning, detail);
    }

    /// <summary>Why a deployment failed: the tail of its inference server's log (where <c>init()</c> raises), else of its
    /// storage initializer's (where a missing model or code shows).</summary>
    async Task<string> FailureAsync(string endpoint, string deployment, CancellationToken cancellationToken)
    {
        var reasons = new List<string>();
        foreach (string container in new[] { "InferenceServer", "StorageInitializer" })
        {
            try
            {
                ArmResponse logs = await client.SendAsync(RequestMethod.Post, $"{DeploymentPath(endpoint, deployment)}/getLogs",
                    new JsonObject { ["containerType"] = container, ["tail"] = 30 }, [200], cancellationToken);
                if (logs.Body is { } b && b.TryGetProperty("content", out JsonElement content) && content.GetString() is { Length: > 0 } text)
                {
                    reasons.Add($"{container} log: {Truncate(text.Trim(), 1500)}");
                    break;
                }
            }
            catch (RequestFailedException e)
            {
                reasons.Add($"{container} log unavailable: {e.Message}");
            }
        }

        return reasons.Count == 0 ? "no logs" : string.Join(" | ", reasons);
    }

    async Task<ScoringTarget> TargetAsync(string endpoint, bool refresh, CancellationToken cancellationToken)
    {
        if (!refresh && targets.TryGetValue(endpoint, out ScoringTarget? cached) && clock.GetUtcNow() - cached.Read < ScoringCacheLifetime)
        {
            return cached;
        }

        JsonElement found = await client.GetAsync(EndpointPath(endpoint), cancellationToken)
            ?? throw new KeyNotFoundException($"no online endpoint {endpoint}");
        JsonElement properties = found.GetProperty("properties");
        string uri = properties.TryGetProperty("scoringUri", out JsonElement u) && u.GetString() is { Length: > 0 } s
            ? s : throw new InvalidOperationException($"online endpoint {endpoint} has no scoring URI yet");
        string authMode = properties.TryGetProperty("authMode", out JsonElement a) ? a.GetString() ?? "Key" : "Key";
        string secret;
        if (string.Equals(authMode, "AADToken", StringComparison.OrdinalIgnoreCase))
        {
            secret = (await credential.GetTokenAsync(new TokenRequestContext([ScoringScope]), cancellationToken)).Token;
        }
        else if (string.Equals(authMode, "AMLToken", StringComparison.OrdinalIgnoreCase))
        {
            ArmResponse token = await client.SendAsync(RequestMethod.Post, $"{EndpointPath(endpoint)}/token", null, [200], cancellationToken);
            secret = token.Body!.Value.GetProperty("accessToken").GetString()!;
        }
        else
        {
            ArmResponse keys = await client.SendAsync(RequestMethod.Post, $"{EndpointPath(endpoint)}/listKeys", null, [200], cancellationToken);
            secret = keys.Body!.Value.GetProperty("primaryKey").GetString()!;
        }

        var target = new ScoringTarget(new Uri(uri), secret, clock.GetUtcNow());
        targets[endpoint] = target;
        return target;
    }

    /// <summary>The completion of a scoring answer: <c>score.py</c> returns <c>{"completion"}</c>, or <c>{"error"}</c> for a
    /// request it refuses (the inference server may wrap a returned string in JSON once more).</summary>
    static string Completion(string endpoint, string deployment, string text) =>
        Answer(endpoint, deployment, text)["completion"] is JsonValue completion && completion.TryGetValue(out string? c)
            ? c
            : throw Refused(endpoint, deployment, text, "completion");

    /// <summary>The loss in a scoring answer: <c>{"bits", "bytes"}</c>, or <c>{"error"}</c>.</summary>
    public static LossScore Loss(string endpoint, string deployment, string text)
    {
        JsonNode answer = Answer(endpoint, deployment, text);
        return answer["bits"] is JsonValue bits && bits.TryGetValue(out double b) && double.IsFinite(b)
            && answer["bytes"] is JsonValue bytes && bytes.TryGetValue(out long n)
            ? new LossScore(deployment, b, n)
            : throw Refused(endpoint, deployment, text, "loss");
    }

    static JsonNode Answer(string endpoint, string deployment, string text)
    {
        try
        {
            JsonNode? answer = JsonNode.Parse(text);
            if (answer is JsonValue v && v.TryGetValue(out string? inner))
            {
                answer = JsonNode.Parse(inner);
            }

            return answer ?? throw new InvalidOperationException($"online endpoint {endpoint} ({deployment}) answered JSON null");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"online endpoint {endpoint} ({deployment}) answered something other than JSON: {Truncate(text, 300)}", e);
        }
    }

    static InvalidOperationException Refused(string endpoint, string deployment, string text, string what)
    {
        string error;
        try
        {
            error = Answer(endpoint, deployment, text)["error"]?.ToString() ?? $"no {what} in the answer: {Truncate(text, 300)}";
        }
        catch (InvalidOperationException e)
        {
            return e;
        }

        return new InvalidOperationException($"online endpoint {endpoint} ({deployment}): {error}");
    }

    /// <summary>Azure ML's provisioning states in ours; unknown values count as still in progress.</summary>
    public static DeploymentProvisioning MapProvisioning(string? state) => state switch
    {
        "Succeeded" => DeploymentProvisioning.Succeeded,
        "Failed" or "Canceled" => DeploymentProvisioning.Failed,
        "Deleting" => DeploymentProvisioning.Deleting,
        _ => DeploymentProvisioning.Creating, // Creating, Updating, Scaling and any new value
    };

    static JsonObject Probe(TimeSpan initialDelay) => new()
    {
        ["initialDelay"] = XmlConvert.ToString(initialDelay),
        ["period"] = "PT10S",
        ["timeout"] = "PT2S",
        ["failureThreshold"] = 30,
        ["successThreshold"] = 1,
    };

    static Dictionary<string, int> Weights(JsonElement properties, string name)
    {
        var weights = new Dictionary<string, int>(StringComparer.Ordinal);
        if (properties.TryGetProperty(name, out JsonElement map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty p in map.EnumerateObject())
            {
                if (p.Value.TryGetInt32(out int w) && w > 0)
                {
                    weights[p.Name] = w;
                }
            }
        }

        return weights;
    }

    static JsonObject Weights(IReadOnlyDictionary<string, int> weights)
    {
        var map = new JsonObject();
        foreach ((string name, int weight) in weights.Where(w => w.Value > 0).OrderBy(w => w.Key, StringComparer.Ordinal))
        {
            map[name] = weight;
        }

        return map;
    }

    static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    static string EndpointPath(string endpoint) => $"onlineEndpoints/{endpoint}";

    static string DeploymentPath(string endpoint, string deployment) => $"onlineEndpoints/{endpoint}/deployments/{deployment}";

    sealed record ScoringTarget(Uri Uri, string Credential, DateTimeOffset Read);
}
