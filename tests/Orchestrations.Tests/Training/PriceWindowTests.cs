using System.Text.Json.Nodes;
using Azure.Core.Pipeline;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;
using GenAiServerless.Training;
using GenAiServerless.Training.AzureMl;
using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training;

public sealed class PriceWindowTests
{
    // A Monday, 14:20 UTC.
    static readonly DateTime Now = new(2026, 11, 30, 14, 20, 0, DateTimeKind.Utc);

    /// <summary>Four weeks of hourly prices: 1.00 by day, 0.60 from 02:00 to 05:59 UTC.</summary>
    static List<SpotPricePoint> CheapNights()
    {
        var points = new List<SpotPricePoint>();
        for (DateTime t = Now.Date.AddDays(-28); t < Now.Date; t = t.AddHours(1))
        {
            points.Add(new SpotPricePoint(new DateTimeOffset(t), t.Hour is >= 2 and < 6 ? 0.60m : 1.00m));
        }

        return points;
    }

    [Fact]
    public void Plan_CheaperHourWithinWait_WaitsForItsStart()
    {
        PriceWindow window = PriceWindowPlanner.Plan(CheapNights(), new PriceWindowQuery("sku", "eastus", 1.00m, MaxWait: TimeSpan.FromHours(16), MinSaving: 0.1), Now);

        Assert.Equal(new DateTime(2026, 12, 1, 2, 0, 0, DateTimeKind.Utc), window.StartUtc);
        Assert.Equal(0.60m, window.ExpectedPricePerHour);
        Assert.Contains("40 %", window.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_CheapHourBeyondMaxWait_SubmitsNow()
    {
        PriceWindow window = PriceWindowPlanner.Plan(CheapNights(), new PriceWindowQuery("sku", "eastus", 1.00m, MaxWait: TimeSpan.FromHours(6), MinSaving: 0.1), Now);

        Assert.Equal(Now, window.StartUtc);
    }

    [Fact]
    public void Plan_SavingBelowMinimum_SubmitsNow()
    {
        PriceWindow window = PriceWindowPlanner.Plan(CheapNights(), new PriceWindowQuery("sku", "eastus", 1.00m, MaxWait: TimeSpan.FromHours(16), MinSaving: 0.5), Now);

        Assert.Equal(Now, window.StartUtc);
        Assert.Contains("submitting now", window.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_NoHistory_SubmitsNowSayingWhy()
    {
        PriceWindow window = PriceWindowPlanner.Plan([], new PriceWindowQuery("sku", "eastus", 1.00m, MaxWait: TimeSpan.FromHours(16), MinSaving: 0.1), Now);

        Assert.Equal(Now, window.StartUtc);
        Assert.Equal("no spot price history: submitting now", window.Reason);
    }

    [Fact]
    public async Task ResourceGraph_GetAsync_PostsKustoQueryAndReadsSpotPrices()
    {
        const string answer = """
            {"totalRecords":1,"count":1,"data":[{"spotPrices":[
              {"priceUSD":0.4444,"effectiveDate":"2026-11-20T00:00:00Z"},
              {"priceUSD":0.4012,"effectiveDate":"2026-11-10T00:00:00Z"}]}],"resultTruncated":"false"}
            """;
        var transport = new RecordingTransport((200, answer));
        var history = new ResourceGraphSpotPriceHistory(HttpPipelineBuilder.Build(new AzureMlClientOptions { Transport = transport, Retry = { MaxRetries = 0 } }));

        IReadOnlyList<SpotPricePoint> points = await history.GetAsync("Standard_NC24ads_A100_v4", "eastus", CancellationToken.None);

        RecordedRequest request = Assert.Single(transport.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("https://management.azure.com/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01", request.Uri.ToString());
        string query = (string)JsonNode.Parse(request.Body!)!["query"]!;
        Assert.Contains("SpotResources", query, StringComparison.Ordinal);
        Assert.Contains("microsoft.compute/skuspotpricehistory/ostype/location", query, StringComparison.Ordinal);
        Assert.Contains("sku.name =~ 'Standard_NC24ads_A100_v4'", query, StringComparison.Ordinal);
        Assert.Equal([0.4444m, 0.4012m], points.Select(p => p.PricePerHour));
    }

    [Fact]
    public async Task PlanPriceWindow_HistoryUnreadable_SubmitsNowSayingWhy()
    {
        var transport = new RecordingTransport((403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no read on SpotResources\"}}"));
        var history = new ResourceGraphSpotPriceHistory(HttpPipelineBuilder.Build(new AzureMlClientOptions { Transport = transport, Retry = { MaxRetries = 0 } }));
        var plan = new PlanPriceWindow(history, new FixedClock(new DateTimeOffset(Now, TimeSpan.Zero)));

        PriceWindow window = await plan.RunAsync(null!, new PriceWindowQuery("Standard_NC4as_T4_v3", "eastus", 0.2m, TimeSpan.FromHours(6), 0.1));

        Assert.Equal(Now, window.StartUtc);
        Assert.Equal(0.2m, window.ExpectedPricePerHour);
        Assert.StartsWith("spot price history unavailable (Resource Graph answered 403", window.Reason, StringComparison.Ordinal);
        Assert.EndsWith("submitting now", window.Reason, StringComparison.Ordinal);
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
