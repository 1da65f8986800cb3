using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>An online endpoint serving the echo scoring script, set up with the calls of the REST reference: a code
/// asset and a model version, the endpoint, its deployments, then the traffic.</summary>
public sealed class EchoEndpoint(ArmTestClient arm, string name, string codeId, string modelId)
{
    public ArmTestClient Arm { get; } = arm;

    public string Name { get; } = name;

    public string CodeId { get; } = codeId;

    public string ModelId { get; } = modelId;

    public string Key { get; private set; } = "";

    public string ScoringUri { get; private set; } = "";

    public string Path => $"onlineEndpoints/{Name}";

    /// <summary>Registers the echo code and model, and creates the endpoint (no deployment yet).</summary>
    public static async Task<EchoEndpoint> CreateAsync(ArmTestClient arm)
    {
        string codeId = await arm.UploadCodeAsync("echo", "1", ("echo_score.py", EmulatorFixture.Fixture("echo_score.py")));
        string modelUri = await arm.UploadDataAsync($"models/echo/{Guid.NewGuid():N}/model", ("model.json", """{"name":"echo-model"}"""));
        ArmResponse model = await arm.PutAsync("models/echo/versions/1", $$"""{"properties":{"modelUri":"{{modelUri}}","modelType":"custom_model"} }""");
        Assert.Equal(HttpStatusCode.Created, model.Status);
        var endpoint = new EchoEndpoint(arm, $"ep-{Guid.NewGuid():N}"[..16], codeId, model.Body!["id"]!.GetValue<string>());
        JsonObject done = await arm.WaitForAsyncOperationAsync(await endpoint.PutAsync("{}"));
        Assert.Equal("Succeeded", done["status"]!.GetValue<string>());
        ArmResponse keys = await arm.PostAsync($"{endpoint.Path}/listKeys");
        endpoint.Key = keys.Body!["primaryKey"]!.GetValue<string>();
        endpoint.ScoringUri = (await arm.GetAsync(endpoint.Path)).Body!["properties"]!["scoringUri"]!.GetValue<string>();
        return endpoint;
    }

    /// <summary>Uses a key and scoring URI read by the test itself.</summary>
    public EchoEndpoint WithKey(string key, string scoringUri)
    {
        Key = key;
        ScoringUri = scoringUri;
        return this;
    }

    /// <summary>PUT of the whole endpoint with this traffic (and mirror traffic).</summary>
    public Task<ArmResponse> PutAsync(string traffic, string mirror = "{}") => Arm.PutAsync(Path, $$"""
        {"location":"eastus","identity":{"type":"SystemAssigned"},"tags":{"team":"ml"},
         "properties":{"authMode":"Key","description":"echo","traffic":{{traffic}},"mirrorTraffic":{{mirror}},"publicNetworkAccess":"Enabled"} }
        """);

    /// <summary>PUTs the endpoint's traffic and waits until it is live.</summary>
    public async Task SetTrafficAsync(string traffic, string mirror = "{}")
    {
        ArmResponse put = await PutAsync(traffic, mirror);
        Assert.True(put.Status == HttpStatusCode.Created, put.Text);
        Assert.Equal("Succeeded", (await Arm.WaitForAsyncOperationAsync(put))["status"]!.GetValue<string>());
    }

    public Task<ArmResponse> PutDeploymentAsync(string deployment, int capacity = 1, string environment = "", string requestTimeout = "PT5S", string? modelId = null) =>
        Arm.PutAsync($"{Path}/deployments/{deployment}", $$"""
            {"location":"eastus","sku":{"name":"Default","capacity":{{capacity}}},
             "properties":{"endpointComputeType":"Managed","instanceType":"Standard_DS3_v2",
              "model":"{{modelId ?? ModelId}}",
              "codeConfiguration":{"codeId":"{{CodeId}}","scoringScript":"echo_score.py"},
              "environmentId":"{{ArmTestClient.CuratedEnvironment}}",
              "environmentVariables":{"DEPLOYMENT_NAME":"{{deployment}}"{{environment}}},
              "scaleSettings":{"scaleType":"Default"},
              "requestSettings":{"requestTimeout":"{{requestTimeout}}","maxConcurrentRequestsPerInstance":1},
              "livenessProbe":{"initialDelay":"PT10S","period":"PT10S","timeout":"PT2S","failureThreshold":30,"successThreshold":1},
              "appInsightsEnabled":true,"egressPublicNetworkAccess":"Disabled"} }
            """);

    /// <summary>Creates a deployment and waits for its operation; returns the final Azure-AsyncOperation body.</summary>
    public async Task<JsonObject> DeployAsync(string deployment, int capacity = 1, string environment = "", string requestTimeout = "PT5S")
    {
        ArmResponse put = await PutDeploymentAsync(deployment, capacity, environment, requestTimeout);
        Assert.True(put.Status == HttpStatusCode.Created, put.Text);
        return await Arm.WaitForAsyncOperationAsync(put);
    }

    /// <summary>POSTs a request to the scoring URI with the primary key (or the given credential).</summary>
    public async Task<ScoreResult> ScoreAsync(string json, string? pin = null, string? credential = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ScoringUri) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if ((credential ?? Key) is { Length: > 0 } bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (pin is not null)
        {
            request.Headers.Add("azureml-model-deployment", pin);
        }

        using var anonymous = new HttpClient();
        using HttpResponseMessage response = await anonymous.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        string? deployment = response.Headers.TryGetValues("azureml-model-deployment", out IEnumerable<string>? values) ? values.First() : null;
        return new ScoreResult(response.StatusCode, body, deployment, response.Headers);
    }

    /// <summary>GET of a metric of the endpoint (or of one deployment) over the last minutes, in PT1M buckets.</summary>
    public async Task<ArmResponse> MetricsAsync(string metricNames, string aggregation, string? filter = null, string? deployment = null)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        string timespan = $"{now.AddMinutes(-2):yyyy-MM-ddTHH:mm:ssZ}/{now.AddMinutes(1):yyyy-MM-ddTHH:mm:ssZ}";
        string resource = deployment is null ? Arm.Id(Path) : Arm.Id($"{Path}/deployments/{deployment}");
        string url = $"{resource}/providers/Microsoft.Insights/metrics?api-version=2023-10-01&metricnames={metricNames}&timespan={Uri.EscapeDataString(timespan)}&interval=PT1M&aggregation={aggregation}"
            + (filter is null ? "" : $"&$filter={Uri.EscapeDataString(filter)}");
        return await Arm.SendUrlAsync(HttpMethod.Get, url);
    }

    /// <summary>The sum of one aggregation over every bucket of every series of the first metric.</summary>
    public static double Sum(ArmResponse metrics, string aggregation) =>
        metrics.Body!["value"]![0]!["timeseries"]!.AsArray().SelectMany(s => s!["data"]!.AsArray()).Sum(d => d![aggregation]?.GetValue<double>() ?? 0);
}

/// <summary>A scoring answer: status, body, and the deployment that answered.</summary>
public sealed record ScoreResult(HttpStatusCode Status, string Body, string? Deployment, HttpResponseHeaders Headers);
