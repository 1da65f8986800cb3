using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Endpoints;

namespace GenAiServerless.AzureMlEmulator.Metrics;

/// <summary>Azure Monitor metrics of an online endpoint or deployment, in the metrics_API.json Response shape
/// (<c>value[].timeseries[].data[]</c>), computed from the requests the scoring route actually served.</summary>
/// <remarks>Every dimension named in <c>$filter</c> splits the series (as Azure Monitor does), and series of explicit
/// filter values are returned even without data. Metadata names are lower-cased, as Azure Monitor returns them.
/// RequestsPerMinute reports the number of requests of a bucket in every aggregation (Average is per minute when the
/// bucket is longer than a minute); latency metrics omit their values in a bucket without requests. Buckets are the
/// interval (PT1M by default); the emulator-only <see cref="AzureMlEmulatorOptions.MetricsTimeGrain"/> replaces PT1M
/// with a shorter bucket so that tests need not wait minutes.</remarks>
static class MetricRoutes
{
    const string Metrics = "/providers/Microsoft.Insights/metrics";

    public static void MapMetrics(this IEndpointRouteBuilder workspace)
    {
        workspace.MapGet("/onlineEndpoints/{endpointName}" + Metrics, (HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName,
            EndpointRegistry registry, RequestMetrics metrics, EmulatorContext emulator, TimeProvider clock) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            return registry.Find(scope, endpointName) is { } endpoint
                ? Answer(context, endpoint, null, metrics, emulator, clock)
                : ArmResults.NotFound("onlineEndpoints", endpointName);
        });
        workspace.MapGet("/onlineEndpoints/{endpointName}/deployments/{deploymentName}" + Metrics, (HttpContext context, string subscriptionId, string resourceGroupName,
            string workspaceName, string endpointName, string deploymentName, EndpointRegistry registry, RequestMetrics metrics, EmulatorContext emulator, TimeProvider clock) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            OnlineDeployment? deployment = null;
            if (registry.Find(scope, endpointName) is { } endpoint)
            {
                lock (endpoint.Gate)
                {
                    deployment = endpoint.Deployments.GetValueOrDefault(deploymentName);
                }
            }

            return deployment is not null
                ? Answer(context, registry.Find(scope, endpointName)!, deployment, metrics, emulator, clock)
                : ArmResults.NotFound($"onlineEndpoints/{endpointName}/deployments", deploymentName);
        });
    }

    static IResult Answer(HttpContext context, OnlineEndpoint endpoint, OnlineDeployment? deployment, RequestMetrics metrics, EmulatorContext emulator, TimeProvider clock)
    {
        MetricQuery query = MetricQuery.Parse(context.Request.Query, clock.GetUtcNow(), emulator.Options.MetricsTimeGrain);
        MetricDefinition[] definitions = deployment is null ? MetricCatalog.Endpoint : MetricCatalog.Deployment;
        string metricNamespace = deployment is null ? MetricCatalog.EndpointNamespace : MetricCatalog.DeploymentNamespace;
        if (context.Request.Query["metricnamespace"].ToString() is { Length: > 0 } askedNamespace && !string.Equals(askedNamespace, metricNamespace, StringComparison.OrdinalIgnoreCase))
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, new ArmError("BadRequest", $"metricnamespace '{askedNamespace}' does not apply to this resource (it is {metricNamespace}).", "metricnamespace"));
        }

        string resourceId = endpoint.Scope.ChildId(deployment is null ? $"onlineEndpoints/{endpoint.Name}" : $"onlineEndpoints/{endpoint.Name}/deployments/{deployment.Name}");
        RequestSample[] samples = [.. metrics.Between(endpoint.Scope.Key, endpoint.Name, query.Start, query.End)
            .Where(s => deployment is null ? !s.Mirrored : string.Equals(s.Deployment, deployment.Name, StringComparison.Ordinal))];
        var values = new JsonArray();
        foreach (string name in query.Names)
        {
            MetricDefinition definition = definitions.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArmException(StatusCodes.Status400BadRequest, new ArmError("BadRequest",
                    $"Failed to find metric configuration for provider: Microsoft.MachineLearningServices, resource Type: {metricNamespace}, metric: {name}. Valid metrics: {string.Join(", ", definitions.Select(d => d.Name))}", "metricnames"));
            values.Add(Metric(resourceId, definition, query, samples, deployment));
        }

        return ArmResults.Json(new JsonObject
        {
            ["cost"] = 0,
            ["timespan"] = $"{Format(query.Start)}/{Format(query.End)}",
            ["interval"] = XmlConvert.ToString(query.Grain),
            ["value"] = values,
            ["namespace"] = metricNamespace,
            ["resourceregion"] = endpoint.Location,
        });
    }

    static JsonObject Metric(string resourceId, MetricDefinition definition, MetricQuery query, RequestSample[] samples, OnlineDeployment? deployment)
    {
        var split = new List<DimensionFilter>();
        foreach (DimensionFilter filter in query.Filters)
        {
            string dimension = definition.Dimensions.FirstOrDefault(d => string.Equals(d, filter.Dimension, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArmException(StatusCodes.Status400BadRequest, new ArmError("BadRequest",
                    $"Dimension '{filter.Dimension}' is not defined for metric {definition.Name} (its dimensions: {(definition.Dimensions.Length == 0 ? "none" : string.Join(", ", definition.Dimensions))}).", "$filter"));
            split.Add(filter with { Dimension = dimension });
        }

        RequestSample[] kept = [.. samples.Where(s => split.All(f => f.Values is null || f.Values.Contains(MetricCatalog.DimensionValue(s, f.Dimension), StringComparer.OrdinalIgnoreCase)))];
        IEnumerable<string[]> combinations = split.Count == 0
            ? [[]]
            : split.All(f => f.Values is not null)
                ? split.Aggregate((IEnumerable<string[]>)[[]], (acc, f) => acc.SelectMany(prefix => f.Values!.Select(v => (string[])[.. prefix, v])))
                : kept.Select(s => split.Select(f => MetricCatalog.DimensionValue(s, f.Dimension)).ToArray()).DistinctBy(c => string.Join('\u0001', c));
        var series = combinations
            .Select(combination => (combination, requests: kept.Where(s => split.Select((f, i) => (f, i)).All(x =>
                string.Equals(MetricCatalog.DimensionValue(s, x.f.Dimension), combination[x.i], StringComparison.OrdinalIgnoreCase))).ToArray()))
            .OrderByDescending(x => x.requests.Length)
            .Take(split.Count == 0 ? 1 : query.Top);
        string[] aggregations = query.Aggregations ?? [definition.PrimaryAggregation.ToLowerInvariant()];
        var timeseries = new JsonArray();
        foreach ((string[] combination, RequestSample[] requests) in series)
        {
            var metadata = new JsonArray([.. split.Select((f, i) => (JsonNode)new JsonObject
            {
                ["name"] = new JsonObject { ["value"] = f.Dimension.ToLowerInvariant(), ["localizedValue"] = f.Dimension.ToLowerInvariant() },
                ["value"] = combination[i],
            })]);
            timeseries.Add(new JsonObject { ["metadatavalues"] = metadata, ["data"] = Buckets(definition, query, requests, aggregations, deployment) });
        }

        return new JsonObject
        {
            ["id"] = $"{resourceId}/providers/Microsoft.Insights/metrics/{definition.Name}",
            ["type"] = "Microsoft.Insights/metrics",
            ["name"] = new JsonObject { ["value"] = definition.Name, ["localizedValue"] = definition.DisplayName },
            ["displayDescription"] = definition.Description,
            ["unit"] = definition.Unit,
            ["timeseries"] = timeseries,
            ["errorCode"] = "Success",
        };
    }

    static JsonArray Buckets(MetricDefinition definition, MetricQuery query, RequestSample[] requests, string[] aggregations, OnlineDeployment? deployment)
    {
        var data = new JsonArray();
        long grain = query.Grain.Ticks;
        DateTimeOffset start = query.Full ? query.Start : new DateTimeOffset(query.Start.UtcTicks / grain * grain, TimeSpan.Zero);
        for (DateTimeOffset bucket = start; bucket < query.End; bucket += query.Grain)
        {
            DateTimeOffset end = bucket + query.Grain;
            double[] latencies = [.. requests.Where(r => r.At >= bucket && r.At < end).Select(r => r.LatencyMs).Order()];
            var point = new JsonObject { ["timeStamp"] = Format(bucket) };
            foreach ((string aggregation, double value) in Values(definition, latencies, query.Grain, deployment))
            {
                if (aggregations.Contains(aggregation, StringComparer.Ordinal))
                {
                    point[aggregation] = Math.Round(value, 3);
                }
            }

            data.Add(point);
        }

        return data;
    }

    static IEnumerable<(string Aggregation, double Value)> Values(MetricDefinition definition, double[] latencies, TimeSpan grain, OnlineDeployment? deployment)
    {
        int n = latencies.Length;
        switch (definition.Kind)
        {
            case MetricKind.RequestCount:
                double perMinute = grain > TimeSpan.FromMinutes(1) ? n / grain.TotalMinutes : n;
                return [("average", perMinute), ("minimum", perMinute), ("maximum", perMinute), ("total", n), ("count", n)];
            case MetricKind.Capacity:
                int capacity = deployment?.Capacity ?? 0;
                return [("average", capacity), ("minimum", capacity), ("maximum", capacity), ("total", capacity), ("count", 1)];
            case MetricKind.LatencyAverage when n > 0:
                return [("average", latencies.Average()), ("minimum", latencies[0]), ("maximum", latencies[^1]), ("total", latencies.Sum()), ("count", n)];
            case MetricKind.LatencyPercentile when n > 0:
                double value = latencies[Math.Clamp((int)Math.Ceiling(definition.Percentile * n) - 1, 0, n - 1)]; // nearest rank
                return [("average", value), ("minimum", value), ("maximum", value), ("total", value), ("count", n)];
            default:
                return [];
        }
    }

    static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
