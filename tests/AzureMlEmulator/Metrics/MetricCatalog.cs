using System.Globalization;

namespace GenAiServerless.AzureMlEmulator.Metrics;

/// <summary>How a metric's value is computed from the requests of a time bucket.</summary>
enum MetricKind
{
    RequestCount,
    LatencyAverage,
    LatencyPercentile,
    Capacity,
}

/// <summary>One metric as Azure Monitor's supported-metrics pages list it: REST name, unit, default aggregation,
/// dimensions.</summary>
sealed record MetricDefinition(string Name, string DisplayName, string Description, string Unit, string PrimaryAggregation, string[] Dimensions, MetricKind Kind, double Percentile = 0);

/// <summary>The metrics of online endpoints and deployments, from "Supported metrics for
/// Microsoft.MachineLearningServices/workspaces/onlineEndpoints" and "…/onlineEndpoints/deployments" (Azure Monitor
/// reference). Only the traffic metrics the scoring route can compute are served, plus DeploymentCapacity.</summary>
static class MetricCatalog
{
    public const string EndpointNamespace = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
    public const string DeploymentNamespace = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments";

    public static readonly MetricDefinition[] Endpoint =
    [
        new("RequestsPerMinute", "Requests Per Minute", "The number of requests sent to online endpoint within a minute", "Count", "Average",
            ["deployment", "statusCode", "statusCodeClass", "modelStatusCode"], MetricKind.RequestCount),
        new("RequestLatency", "Request Latency", "The average complete interval of time taken for a request to be responded in milliseconds", "Milliseconds", "Average",
            ["deployment"], MetricKind.LatencyAverage),
        Percentile(50, ["deployment"]),
        Percentile(90, ["deployment"]),
        Percentile(95, ["deployment"]),
        Percentile(99, ["deployment"]),
    ];

    public static readonly MetricDefinition[] Deployment =
    [
        new("RequestsPerMinute", "Requests Per Minute", "The number of requests sent to online deployment within a minute", "Count", "Average",
            ["envoy_response_code"], MetricKind.RequestCount),
        Percentile(50, []),
        Percentile(90, []),
        Percentile(95, []),
        Percentile(99, []),
        new("DeploymentCapacity", "Deployment Capacity", "The number of instances in the deployment.", "Count", "Average", [], MetricKind.Capacity),
    ];

    /// <summary>A dimension's value for a request.</summary>
    public static string DimensionValue(RequestSample sample, string dimension)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return dimension.ToUpperInvariant() switch
        {
            "DEPLOYMENT" => sample.Deployment,
            "STATUSCODE" or "ENVOY_RESPONSE_CODE" => sample.StatusCode.ToString(CultureInfo.InvariantCulture),
            "STATUSCODECLASS" => $"{sample.StatusCode / 100}xx",
            "MODELSTATUSCODE" => sample.ModelStatusCode?.ToString(CultureInfo.InvariantCulture) ?? "",
            _ => "",
        };
    }

    static MetricDefinition Percentile(int p, string[] dimensions) => new(
        $"RequestLatency_P{p}", $"Request Latency P{p}",
        $"The average P{p} request latency aggregated by all request latency values collected over the selected time period", "Milliseconds", "Average",
        dimensions, MetricKind.LatencyPercentile, p / 100.0);
}
