using System.Net;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>The scoring route: exact weighted traffic, the pinning header, mirror traffic, keys, the documented error
/// statuses, and the Azure Monitor metrics computed from what it served.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class ScoringTests(EmulatorFixture fixture)
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    [Fact]
    public async Task Score_Traffic90To10_SendsExactlyTenOfAHundredToGreen()
    {
        EchoEndpoint endpoint = await TwoDeploymentsAsync("""{"blue":90,"green":10}""");

        var answers = new List<ScoreResult>();
        for (int i = 0; i < 100; i++)
        {
            answers.Add(await endpoint.ScoreAsync($$"""{"i":{{i}}}"""));
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(10, answers.Count(a => a.Deployment == "green"));
        Assert.Equal(90, answers.Count(a => a.Deployment == "blue"));
        Assert.All(answers, a => Assert.Equal(a.Deployment, JsonNode.Parse(a.Body)!["deployment"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Score_PinHeaderAndKeys_RouteToTheNamedDeploymentOr404_401WithoutAValidKey()
    {
        EchoEndpoint endpoint = await TwoDeploymentsAsync("""{"blue":100,"green":0}""");
        string secondary = (await arm.PostAsync($"{endpoint.Path}/listKeys")).Body!["secondaryKey"]!.GetValue<string>();

        ScoreResult pinned = await endpoint.ScoreAsync("{}", pin: "green");
        ScoreResult absent = await endpoint.ScoreAsync("{}", pin: "nosuch");
        ScoreResult withSecondary = await endpoint.ScoreAsync("{}", credential: secondary);
        ScoreResult wrongKey = await endpoint.ScoreAsync("{}", credential: "not-a-key");
        ScoreResult armToken = await endpoint.ScoreAsync("{}", credential: fixture.Server.BearerToken);

        Assert.Equal((HttpStatusCode.OK, "green"), (pinned.Status, pinned.Deployment));
        Assert.Equal(HttpStatusCode.NotFound, absent.Status);
        Assert.Equal((HttpStatusCode.OK, "blue"), (withSecondary.Status, withSecondary.Deployment));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, armToken.Status);
    }

    [Fact]
    public async Task Score_NoPositiveWeight_404UnlessPinned()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await endpoint.DeployAsync("blue");

        ScoreResult unrouted = await endpoint.ScoreAsync("{}");
        ScoreResult pinned = await endpoint.ScoreAsync("{}", pin: "blue");

        Assert.Equal(HttpStatusCode.NotFound, unrouted.Status);
        Assert.NotNull(JsonNode.Parse(unrouted.Body)!["error"]!["message"]);
        Assert.Equal(HttpStatusCode.OK, pinned.Status);
    }

    [Fact]
    public async Task Score_MirrorTraffic20_GreenGetsTwentyCopiesAndBlueAnswersAll()
    {
        EchoEndpoint endpoint = await TwoDeploymentsAsync("""{"blue":100}""", mirror: """{"green":20}""");

        var answers = new List<ScoreResult>();
        for (int i = 0; i < 100; i++)
        {
            answers.Add(await endpoint.ScoreAsync($$"""{"i":{{i}}}"""));
        }

        Assert.All(answers, a => Assert.Equal("blue", a.Deployment));
        double green = 0;
        for (int i = 0; i < 100 && green < 20; i++)
        {
            await Task.Delay(50);
            green = EchoEndpoint.Sum(await endpoint.MetricsAsync("RequestsPerMinute", "Total", deployment: "green"), "total");
        }

        Assert.Equal(20, green);
        Assert.Equal(0, EchoEndpoint.Sum(await endpoint.MetricsAsync("RequestsPerMinute", "Total", "deployment eq 'green'"), "total"));
        Assert.Equal(100, EchoEndpoint.Sum(await endpoint.MetricsAsync("RequestsPerMinute", "Total", "deployment eq 'blue'"), "total"));
    }

    [Fact]
    public async Task Score_RunRaisesOrTimesOut_424WithModelErrorHeadersOr408()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await endpoint.DeployAsync("blue", requestTimeout: "PT0.5S");
        await endpoint.SetTrafficAsync("""{"blue":100}""");

        ScoreResult raised = await endpoint.ScoreAsync("""{"raise":"bad input"}""");
        // Far past the 0.5 s timeout: on a loaded machine the timeout's timer can fire late, and a run only just
        // longer than it could then answer first.
        ScoreResult slow = await endpoint.ScoreAsync("""{"sleep":2.5}""");
        await Task.Delay(2500); // the instance finishes the slow run() (its late answer is dropped) before the next request
        ScoreResult after = await endpoint.ScoreAsync("""{"ok":true}""");

        Assert.Equal(HttpStatusCode.FailedDependency, raised.Status);
        Assert.Equal("500", raised.Headers.GetValues("ms-azureml-model-error-statuscode").Single());
        Assert.Contains("RuntimeError: bad input", raised.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestTimeout, slow.Status);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.True(JsonNode.Parse(after.Body)!["echo"]!["ok"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Metrics_AfterScoring_CountRequestsByDeploymentAndStatusClassAndReportLatency()
    {
        EchoEndpoint endpoint = await TwoDeploymentsAsync("""{"blue":50,"green":50}""");
        for (int i = 0; i < 6; i++)
        {
            await endpoint.ScoreAsync("{}");
        }

        await endpoint.ScoreAsync("""{"raise":"x"}""", pin: "blue");
        await endpoint.ScoreAsync("""{"raise":"y"}""", pin: "blue");

        ArmResponse blueOk = await endpoint.MetricsAsync("RequestsPerMinute", "Total", "deployment eq 'blue' and statusCodeClass eq '2xx'");
        ArmResponse blueErrors = await endpoint.MetricsAsync("RequestsPerMinute", "Total", "deployment eq 'blue' and statusCodeClass eq '4xx'");
        ArmResponse byDeployment = await endpoint.MetricsAsync("RequestsPerMinute", "Total", "deployment eq '*'");
        ArmResponse latency = await endpoint.MetricsAsync("RequestLatency,RequestLatency_P95", "Average");
        ArmResponse unknown = await endpoint.MetricsAsync("NoSuchMetric", "Average");
        ArmResponse badDimension = await endpoint.MetricsAsync("RequestLatency", "Average", "statusCode eq '200'");

        Assert.Equal(HttpStatusCode.OK, blueOk.Status);
        Assert.Equal(3, EchoEndpoint.Sum(blueOk, "total"));
        Assert.Equal(2, EchoEndpoint.Sum(blueErrors, "total"));
        JsonNode series = blueErrors.Body!["value"]![0]!["timeseries"]![0]!;
        Assert.Equal(["deployment", "statuscodeclass"], series["metadatavalues"]!.AsArray().Select(m => m!["name"]!["value"]!.GetValue<string>()));
        Assert.Equal(2, byDeployment.Body!["value"]![0]!["timeseries"]!.AsArray().Count);
        Assert.Equal("PT5S", blueOk.Body!["interval"]!.GetValue<string>());
        Assert.Equal("Microsoft.MachineLearningServices/workspaces/onlineEndpoints", blueOk.Body["namespace"]!.GetValue<string>());
        Assert.Equal("Count", blueOk.Body["value"]![0]!["unit"]!.GetValue<string>());
        Assert.Equal(["RequestLatency", "RequestLatency_P95"], latency.Body!["value"]!.AsArray().Select(m => m!["name"]!["value"]!.GetValue<string>()));
        Assert.Contains(latency.Body["value"]![1]!["timeseries"]![0]!["data"]!.AsArray(), d => d!["average"]?.GetValue<double>() > 0);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badDimension.Status);
    }

    async Task<EchoEndpoint> TwoDeploymentsAsync(string traffic, string mirror = "{}")
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await Task.WhenAll(endpoint.DeployAsync("blue"), endpoint.DeployAsync("green"));
        await endpoint.SetTrafficAsync(traffic, mirror);
        return endpoint;
    }
}
