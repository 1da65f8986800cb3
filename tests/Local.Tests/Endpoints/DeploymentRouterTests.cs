using System.Collections.Concurrent;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Local.Endpoints;

/// <summary>The local endpoints' request path: exact split, pinning, mirror copies, faults, metrics, and deployments
/// added and removed while requests are in flight.</summary>
public sealed class DeploymentRouterTests
{
    const string Endpoint = "tinylm";

    static Generator Echo(string name, TimeSpan delay = default) => async (prompt, ct) =>
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, ct);
        }

        return new Generation($"{prompt} from {name}", 3);
    };

    static DeploymentRouter TwoDeployments(int blue, int green)
    {
        var router = new DeploymentRouter(TimeProvider.System);
        router.Add(Endpoint, "blue", 1, Echo("blue"));
        router.Add(Endpoint, "green", 2, Echo("green"));
        router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = blue, ["green"] = green }, null);
        return router;
    }

    static DeploymentMetrics Window(DeploymentRouter router, string deployment) =>
        router.Read(new MetricsQuery(Endpoint, deployment, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1)));

    [Fact]
    public async Task ScoreAsync_Split90To10_IsExactInEveryHundredConsecutiveRequests()
    {
        DeploymentRouter router = TwoDeployments(90, 10);
        var answeredBy = new List<string>();
        for (int i = 0; i < 5000; i++)
        {
            answeredBy.Add((await router.ScoreAsync(Endpoint, "p", null, CancellationToken.None)).Deployment);
        }

        Assert.Equal(500, answeredBy.Count(d => d == "green"));
        for (int start = 0; start + 100 <= answeredBy.Count; start += 37)
        {
            Assert.Equal(10, answeredBy.Skip(start).Take(100).Count(d => d == "green"));
        }

        // Interleaved, not in runs: never two green answers in a row at 10 %.
        Assert.DoesNotContain(answeredBy.Zip(answeredBy.Skip(1)), pair => pair is ("green", "green"));
    }

    [Fact]
    public async Task ScoreAsync_ConcurrentRequests_SplitStaysExact()
    {
        DeploymentRouter router = TwoDeployments(37, 63);
        var answeredBy = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, 10_000, async (_, ct) => answeredBy.Add((await router.ScoreAsync(Endpoint, "p", null, ct)).Deployment));

        Assert.Equal(3700, answeredBy.Count(d => d == "blue"));
        Assert.Equal(6300, answeredBy.Count(d => d == "green"));
    }

    [Fact]
    public async Task ScoreAsync_Pinned_AnswersOnThePinnedDeploymentWhateverTheSplit()
    {
        DeploymentRouter router = TwoDeployments(100, 0);

        GenAiServerless.Rollout.ScoreResult pinned = await router.ScoreAsync(Endpoint, "p", "green", CancellationToken.None);
        KeyNotFoundException missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => router.ScoreAsync(Endpoint, "p", "nosuch", CancellationToken.None));

        Assert.Equal(("green", "p from green"), (pinned.Deployment, pinned.Completion));
        Assert.Contains("no ready deployment 'nosuch'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreAsync_Mirror20Percent_CopiesExactlyThatShareAndDiscardsItsFailures()
    {
        var router = new DeploymentRouter(TimeProvider.System);
        router.Add(Endpoint, "blue", 1, Echo("blue"));
        router.Add(Endpoint, "shadow", 2, Echo("shadow"));
        router.SetFault(Endpoint, "shadow", new DeploymentFault { ErrorRate = 1 });
        router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 100 }, new Dictionary<string, int> { ["shadow"] = 20 });

        var answers = new List<GenAiServerless.Rollout.ScoreResult>();
        for (int i = 0; i < 500; i++)
        {
            answers.Add(await router.ScoreAsync(Endpoint, "p", null, CancellationToken.None));
        }

        // Mirror copies run in the background: wait until all 100 were counted.
        for (int i = 0; i < 200 && Window(router, "shadow").Requests < 100; i++)
        {
            await Task.Delay(25);
        }

        Assert.All(answers, a => Assert.Equal("blue", a.Deployment));
        Assert.Equal(new DeploymentMetrics("shadow", 100, 100, Window(router, "shadow").LatencyP95Ms), Window(router, "shadow"));
        Assert.Equal(500, Window(router, "blue").Requests);
    }

    [Fact]
    public void SetTraffic_BadSplits_ThrowNamingTheProblem()
    {
        DeploymentRouter router = TwoDeployments(50, 50);

        Assert.Contains("must sum to 100, got 90", Assert.Throws<InvalidOperationException>(() =>
            router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 40, ["green"] = 50 }, null)).Message, StringComparison.Ordinal);
        Assert.Contains("at most 50", Assert.Throws<InvalidOperationException>(() =>
            router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 100 }, new Dictionary<string, int> { ["green"] = 60 })).Message, StringComparison.Ordinal);
        Assert.Contains("cannot also get mirror traffic", Assert.Throws<InvalidOperationException>(() =>
            router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 100 }, new Dictionary<string, int> { ["blue"] = 10 })).Message, StringComparison.Ordinal);
        Assert.Contains("move its traffic first", Assert.Throws<InvalidOperationException>(() => router.Remove(Endpoint, "green")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScoreAsync_DeploymentsAddedAndRemovedWithRequestsInFlight_DropsNone()
    {
        var router = new DeploymentRouter(TimeProvider.System);
        router.Add(Endpoint, "blue", 1, Echo("blue", TimeSpan.FromMilliseconds(200)));
        router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 100 }, null);

        // Requests keep arriving while green is added, takes the traffic step by step, and blue is removed.
        using var load = new CancellationTokenSource();
        var results = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<Exception>();
        Task[] clients = [.. Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (!load.IsCancellationRequested)
            {
                try
                {
                    results.Add((await router.ScoreAsync(Endpoint, "p", null, CancellationToken.None)).Deployment);
                }
                catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException)
                {
                    failures.Add(e);
                }
            }
        }))];

        await Task.Delay(300);
        router.Add(Endpoint, "green", 2, Echo("green", TimeSpan.FromMilliseconds(50)));
        foreach (int green in new[] { 10, 50, 100 })
        {
            router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 100 - green, ["green"] = green }, null);
            await Task.Delay(150); // blue's requests of the previous split are still in flight
        }

        router.Remove(Endpoint, "blue");
        await Task.Delay(300);
        await load.CancelAsync();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.Contains("blue", results);
        Assert.Contains("green", results);
        Assert.False(router.IsServing(Endpoint, "blue"));
    }

    [Fact]
    public async Task ScoreAsync_FaultAfterWarmUp_FailsExactlyTheRateAndIsCounted()
    {
        var router = new DeploymentRouter(TimeProvider.System);
        router.Add(Endpoint, "blue", 1, Echo("blue"));
        router.SetTraffic(Endpoint, new Dictionary<string, int> { ["blue"] = 100 }, null);
        router.SetFault(Endpoint, "blue", new DeploymentFault { ErrorRate = 0.25, AfterRequests = 20 });

        int failed = 0;
        var failedAt = new List<int>();
        for (int i = 0; i < 120; i++)
        {
            try
            {
                await router.ScoreAsync(Endpoint, "p", null, CancellationToken.None);
            }
            catch (InjectedFaultException)
            {
                failed++;
                failedAt.Add(i);
            }
        }

        Assert.Equal(25, failed);
        Assert.True(failedAt[0] >= 20);
        Assert.Equal((120L, 25L), (Window(router, "blue").Requests, Window(router, "blue").Errors));
        Assert.Contains("ErrorRate must be between 0 and 1", Assert.Throws<ArgumentException>(() =>
            router.SetFault(Endpoint, "blue", new DeploymentFault { ErrorRate = 1.5 })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_AddedLatency_ShowsInP95AndPrometheusHistogram()
    {
        DeploymentRouter router = TwoDeployments(50, 50);
        router.SetFault(Endpoint, "green", new DeploymentFault { AddedLatency = TimeSpan.FromMilliseconds(120) });
        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => router.ScoreAsync(Endpoint, "p", null, CancellationToken.None)));

        DeploymentMetrics green = Window(router, "green"), blue = Window(router, "blue");
        string text = router.Prometheus();

        Assert.Equal((20L, 20L), (green.Requests, blue.Requests));
        // Only the bounds the injected delay guarantees: a busy machine can make any request slower, never faster.
        Assert.True(green.LatencyP95Ms!.Value >= 110, $"green p95 {green.LatencyP95Ms} ms");
        Assert.True(blue.LatencyP95Ms!.Value < green.LatencyP95Ms.Value, $"blue p95 {blue.LatencyP95Ms} ms");
        Assert.Contains("genai_endpoint_requests_total{endpoint=\"tinylm\",deployment=\"green\"} 20\n", text, StringComparison.Ordinal);
        Assert.Contains("genai_endpoint_generated_tokens_total{endpoint=\"tinylm\",deployment=\"blue\"} 60\n", text, StringComparison.Ordinal);
        Assert.Contains("genai_endpoint_request_duration_seconds_bucket{endpoint=\"tinylm\",deployment=\"green\",le=\"+Inf\"} 20\n", text, StringComparison.Ordinal);
        Assert.Contains("genai_endpoint_request_duration_seconds_bucket{endpoint=\"tinylm\",deployment=\"green\",le=\"0.0512\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("genai_endpoint_traffic_percent{endpoint=\"tinylm\",deployment=\"blue\"} 50\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE genai_endpoint_request_duration_seconds histogram\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_WindowBeforeTheRequests_IsEmpty()
    {
        DeploymentRouter router = TwoDeployments(100, 0);
        await router.ScoreAsync(Endpoint, "p", null, CancellationToken.None);

        DeploymentMetrics before = router.Read(new MetricsQuery(Endpoint, "blue", DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(-2)));

        Assert.Equal(new DeploymentMetrics("blue", 0, 0, null), before);
    }
}
