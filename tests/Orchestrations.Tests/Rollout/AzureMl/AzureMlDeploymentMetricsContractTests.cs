using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Rollout;
using GenAiServerless.Rollout.AzureMl;
using GenAiServerless.Tests.Orchestrations.Platform.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using static GenAiServerless.Tests.Orchestrations.Platform.AzureMl.ArmContract;

namespace GenAiServerless.Tests.Orchestrations.Rollout.AzureMl;

/// <summary>The rollout's metrics read from Azure Monitor (metrics_API.json 2023-10-01) for an online deployment: the
/// request's URI and query, and how a response with one series per response code maps to requests, errors and p95.</summary>
public sealed class AzureMlDeploymentMetricsContractTests
{
    const string Deployment = W + "/onlineEndpoints/tinylm/deployments/v3-b";

    static AzureMlEndpointHost Create(RecordingTransport arm)
    {
        AzureMlClient client = Client(arm);
        return new AzureMlEndpointHost(client, new AzureMlCodeAsset(client, Path.GetTempPath()), Scoring(new RecordingTransport()), new StaticTokenCredential("unused"), TimeProvider.System);
    }

    static string Series(string code, params (string At, int Total)[] points) =>
        "{\"metadatavalues\":[{\"name\":{\"value\":\"envoy_response_code\",\"localizedValue\":\"envoy_response_code\"},\"value\":\"" + code + "\"}],\"data\":["
        + string.Join(",", points.Select(p => "{\"timeStamp\":\"" + p.At + "\",\"total\":" + p.Total + "}")) + "]}";

    static string Metric(string name, string timeseries) =>
        "{\"id\":\"" + Deployment + "/providers/Microsoft.Insights/metrics/" + name + "\",\"type\":\"Microsoft.Insights/metrics\",\"name\":{\"value\":\"" + name
        + "\",\"localizedValue\":\"" + name + "\"},\"unit\":\"Count\",\"timeseries\":[" + timeseries + "],\"errorCode\":\"Success\"}";

    [Fact]
    public async Task ReadAsync_SeriesPerResponseCode_CountsFailuresAndWeighsP95ByRequests()
    {
        var arm = new RecordingTransport();
        const string Head = "{\"cost\":0,\"timespan\":\"2026-12-05T10:00:00Z/2026-12-05T10:02:00Z\",\"interval\":\"PT1M\",\"value\":[";
        const string Tail = "],\"namespace\":\"Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments\",\"resourceregion\":\"eastus\"}";
        arm.Then(200, Head + Metric("RequestsPerMinute", Series("200", ("2026-12-05T10:00:00Z", 90), ("2026-12-05T10:01:00Z", 50)) + "," + Series("503", ("2026-12-05T10:01:00Z", 8)) + "," + Series("424", ("2026-12-05T10:01:00Z", 2)) + "," + Series("404", ("2026-12-05T10:00:00Z", 10))) + Tail)
            .Then(200, Head + Metric("RequestLatency_P95", "{\"metadatavalues\":[],\"data\":[{\"timeStamp\":\"2026-12-05T10:00:00Z\",\"average\":100},{\"timeStamp\":\"2026-12-05T10:01:00Z\",\"average\":400}]}") + Tail);

        DeploymentMetrics metrics = await Create(arm).ReadAsync(
            new MetricsQuery("tinylm", "v3-b", new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 5, 10, 2, 0, TimeSpan.Zero)), CancellationToken.None);

        const string Window = "timespan=2026-12-05T10%3A00%3A00Z%2F2026-12-05T10%3A02%3A00Z&interval=PT1M";
        Assert.Equal(
            $"{Arm}{Deployment}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=RequestsPerMinute&{Window}&aggregation=total&$filter=envoy_response_code%20eq%20%27%2A%27",
            arm.RequestUris[0]);
        Assert.Equal($"{Arm}{Deployment}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames=RequestLatency_P95&{Window}&aggregation=average", arm.RequestUris[1]);
        Assert.Equal(["GET", "GET"], arm.Methods);

        // 160 requests; 503 and 424 (the model raised) failed, a 404 (pinned to nothing) is the caller's fault.
        Assert.Equal((160L, 10L), (metrics.Requests, metrics.Errors));

        // Minute one: 100 requests at p95 100 ms; minute two: 60 at 400 ms.
        Assert.Equal((100 * 100 + 60 * 400) / 160.0, metrics.LatencyP95Ms!.Value, 6);
    }

    [Fact]
    public async Task ReadAsync_NoDataYet_ZeroRequestsAndNoLatency()
    {
        var arm = new RecordingTransport();
        arm.Then(200, "{\"cost\":0,\"interval\":\"PT1M\",\"value\":[" + Metric("RequestsPerMinute", "") + "]}")
            .Then(200, "{\"cost\":0,\"interval\":\"PT1M\",\"value\":[" + Metric("RequestLatency_P95", "") + "]}");

        DeploymentMetrics metrics = await Create(arm).ReadAsync(new MetricsQuery("tinylm", "v3-b", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow), CancellationToken.None);

        Assert.Equal(new DeploymentMetrics("v3-b", 0, 0, null), metrics);
    }
}
