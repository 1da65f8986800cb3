using System.Net;
using System.Text;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Rollout;
using GenAiServerless.Rollout.AzureMl;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>The rollout's analysis reads an Azure ML deployment's metrics through <see cref="AzureMlEndpointHost"/>: here
/// from the emulator's Azure Monitor route, computed from the requests it really served.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class DeploymentMetricsOnEmulatorTests(EmulatorFixture fixture)
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    [Fact]
    public async Task ReadAsync_GreenFailsHalfItsRequests_ReportsItsErrorsAndBlueClean()
    {
        EchoEndpoint endpoint = await EchoEndpoint.CreateAsync(arm);
        await Task.WhenAll(endpoint.DeployAsync("blue"), endpoint.DeployAsync("green"));
        await endpoint.SetTrafficAsync("""{"blue":50,"green":50}""");
        using (HttpResponseMessage set = await fixture.Http.PutAsync($"_emulator/endpoints/{endpoint.Name}/deployments/green/scoring-fault",
            new StringContent("""{"failureRate":0.5,"status":503,"latencyMs":150}""", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        }

        DateTimeOffset from = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (int i = 0; i < 20; i++)
        {
            await endpoint.ScoreAsync("{}");
        }

        AzureMlEndpointHost host = Host();
        var to = DateTimeOffset.UtcNow.AddSeconds(1);
        DeploymentMetrics green = await host.ReadAsync(new MetricsQuery(endpoint.Name, "green", from, to), CancellationToken.None);
        DeploymentMetrics blue = await host.ReadAsync(new MetricsQuery(endpoint.Name, "blue", from, to), CancellationToken.None);

        Assert.Equal((10L, 5L), (green.Requests, green.Errors));
        Assert.Equal((10L, 0L), (blue.Requests, blue.Errors));
        Assert.True(green.LatencyP95Ms >= 150, $"green p95 {green.LatencyP95Ms} ms");
        Assert.True(blue.LatencyP95Ms < green.LatencyP95Ms, $"blue p95 {blue.LatencyP95Ms} ms");

        // The same numbers fail the canary under the default analysis policy.
        AnalysisPolicy policy = new(TimeSpan.FromSeconds(2), 10, 2, 0.02, 1.5, TimeSpan.FromMilliseconds(100), ["q"]);
        Assert.Equal(CanaryOutcome.Fail, CanaryJudge.Judge(green, blue, policy).Outcome);
    }

    /// <summary>The endpoint host on this test's emulator workspace.</summary>
    AzureMlEndpointHost Host()
    {
        string[] parts = arm.Workspace.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var options = new AzureMlOptions
        {
            SubscriptionId = parts[1],
            ResourceGroup = parts[3],
            WorkspaceName = parts[7],
            Region = "eastus",
            ArmEndpoint = fixture.Server.BaseUri,
            StaticToken = fixture.Server.BearerToken,
        };
        var client = new AzureMlClient(AzureMlServiceCollectionExtensions.Pipeline(options, new StaticTokenCredential(options.StaticToken)), options, TimeProvider.System);
        return new AzureMlEndpointHost(client, new AzureMlCodeAsset(client, Path.GetTempPath()), AzureMlServiceCollectionExtensions.Pipeline(options, new StaticTokenCredential(options.StaticToken)),
            new StaticTokenCredential(options.StaticToken), TimeProvider.System);
    }
}
