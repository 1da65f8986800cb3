using System.Text;
using GenAiServerless.Api;

namespace GenAiServerless.Tests.Orchestrations.Api;

/// <summary>A well-formed request for each route, to vary one thing at a time (token, role, media type, size).</summary>
public static class ApiRequests
{
    public static IEnumerable<object[]> Routes() => PipelineApi.Routes.Select(r => new object[] { r.OperationId });

    public static IEnumerable<object[]> ProtectedRoutes() => PipelineApi.Routes.Where(r => r.Role is not null).Select(r => new object[] { r.OperationId });

    public static IEnumerable<object[]> BodyRoutes() => PipelineApi.Routes.Where(r => r.Body is not null).Select(r => new object[] { r.OperationId });

    public static ApiRoute Route(string operationId) => PipelineApi.Routes.Single(r => r.OperationId == operationId);

    /// <summary>The route's path with sample values: a run id, the configured model, version 1, the champion alias.</summary>
    public static string Path(ApiRoute route) => route.Template
        .Replace("{id}", "tinylm-drop-0001", StringComparison.Ordinal)
        .Replace("{model}", ApiHost.Model, StringComparison.Ordinal)
        .Replace("{version:int}", "1", StringComparison.Ordinal)
        .Replace("{alias}", "champion", StringComparison.Ordinal)
        .TrimStart('/');

    /// <summary>A valid body for the route (null when it takes none).</summary>
    public static string? Body(ApiRoute route) => route.OperationId switch
    {
        "deployVersion" => """{"version": 1}""",
        "setAlias" => """{"version": 1}""",
        "approveRun" or "rejectRun" => """{"comment": "looks good"}""",
        "postAlert" => Alert("tinylm", "alert-1"),
        _ when route.Body is not null => "{}",
        _ => null,
    };

    public static string Alert(string model, string alertId) =>
        "{\"schemaId\": \"azureMonitorCommonAlertSchema\", \"data\": {\"essentials\": {\"alertId\": \"" + alertId
        + "\", \"alertRule\": \"drift\", \"severity\": \"Sev2\", \"monitorCondition\": \"Fired\"}, \"customProperties\": {\"model\": \"" + model + "\"}}}";

    public static HttpRequestMessage Request(ApiRoute route, string? body = null, string mediaType = "application/json")
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), Path(route));
        if ((body ?? Body(route)) is { } content)
        {
            request.Content = new StringContent(content, Encoding.UTF8, mediaType);
        }

        return request;
    }
}
