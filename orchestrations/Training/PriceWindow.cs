using System.Globalization;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;

namespace GenAiServerless.Training;

/// <summary>One observed spot price of a VM size in a region.</summary>
public sealed record SpotPricePoint(DateTimeOffset EffectiveDate, decimal PricePerHour);

/// <summary>Input of <see cref="PlanPriceWindow"/>: the chosen offer and how long the run may wait for a cheaper hour.</summary>
public sealed record PriceWindowQuery(string Sku, string Region, decimal CurrentPricePerHour, double MaxWaitHours, double MinSaving);

/// <summary>When to submit: now, or the start of a cheaper hour within the allowed wait.</summary>
public sealed record PriceWindow(DateTime StartUtc, decimal ExpectedPricePerHour, string Reason);

/// <summary>Spot price history: Azure Resource Graph's <c>skuspotpricehistory</c> on Azure; none offline.</summary>
public interface ISpotPriceHistory
{
    Task<IReadOnlyList<SpotPricePoint>> GetAsync(string sku, string region, CancellationToken cancellationToken);
}

/// <summary>No price history (the local stack is offline): every plan is "submit now".</summary>
public sealed class NoSpotPriceHistory : ISpotPriceHistory
{
    public Task<IReadOnlyList<SpotPricePoint>> GetAsync(string sku, string region, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SpotPricePoint>>([]);
}

/// <summary>Plans the off-peak wait: the price of each hour of the week, averaged over the history, picks the
/// cheapest hour within the allowed wait; the run waits for it only if it saves at least the minimum share.</summary>
public static class PriceWindowPlanner
{
    public static PriceWindow Plan(IReadOnlyList<SpotPricePoint> history, PriceWindowQuery query, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(query);
        if (history.Count == 0 || query.MaxWaitHours <= 0)
        {
            return new PriceWindow(nowUtc, query.CurrentPricePerHour, history.Count == 0 ? "no spot price history: submitting now" : "waiting is off: submitting now");
        }

        Dictionary<int, decimal> byHourOfWeek = history
            .GroupBy(p => HourOfWeek(p.EffectiveDate.UtcDateTime))
            .ToDictionary(g => g.Key, g => g.Average(p => p.PricePerHour));
        DateTime bestStart = nowUtc;
        decimal best = query.CurrentPricePerHour;
        DateTime firstHour = new(nowUtc.Year, nowUtc.Month, nowUtc.Day, nowUtc.Hour, 0, 0, DateTimeKind.Utc);
        for (int h = 1; h <= (int)Math.Floor(query.MaxWaitHours); h++)
        {
            DateTime start = firstHour.AddHours(h);
            if (byHourOfWeek.TryGetValue(HourOfWeek(start), out decimal expected) && expected < best)
            {
                (best, bestStart) = (expected, start);
            }
        }

        decimal saving = query.CurrentPricePerHour == 0 ? 0 : (query.CurrentPricePerHour - best) / query.CurrentPricePerHour;
        return saving >= (decimal)query.MinSaving && bestStart > nowUtc
            ? new PriceWindow(bestStart, best, $"waiting until {bestStart:u} for ${best:0.####}/h ({saving:P0} below ${query.CurrentPricePerHour:0.####}/h now)")
            : new PriceWindow(nowUtc, query.CurrentPricePerHour, $"no hour in the next {query.MaxWaitHours:0.#} h is {query.MinSaving:P0} cheaper: submitting now");
    }

    static int HourOfWeek(DateTime utc) => ((int)utc.DayOfWeek * 24) + utc.Hour;
}

/// <summary>Plans when to submit (reads the history and the clock: an activity, so the orchestrator stays deterministic).</summary>
[DurableTask(nameof(PlanPriceWindow))]
public sealed class PlanPriceWindow(ISpotPriceHistory history, TimeProvider clock) : TaskActivity<PriceWindowQuery, PriceWindow>
{
    public override async Task<PriceWindow> RunAsync(TaskActivityContext context, PriceWindowQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        IReadOnlyList<SpotPricePoint> points = await history.GetAsync(input.Sku, input.Region, CancellationToken.None);
        return PriceWindowPlanner.Plan(points, input, clock.GetUtcNow().UtcDateTime);
    }
}

/// <summary>Spot price history from Azure Resource Graph (<c>POST /providers/Microsoft.ResourceGraph/resources</c>,
/// table <c>SpotResources</c>, type <c>microsoft.compute/skuspotpricehistory/ostype/location</c>: 90 days of Linux spot
/// prices as <c>properties.spotPrices[{priceUSD, effectiveDate}]</c>; field names inferred from public queries).</summary>
public sealed class ResourceGraphSpotPriceHistory(HttpPipeline pipeline, Uri? endpoint = null) : ISpotPriceHistory
{
    public const string ApiVersion = "2021-03-01";

    readonly Uri uri = new($"{(endpoint ?? new Uri("https://management.azure.com")).ToString().TrimEnd('/')}/providers/Microsoft.ResourceGraph/resources?api-version={ApiVersion}");

    /// <summary>The Kusto query for one VM size in one region (public for the contract test).</summary>
    public static string Query(string sku, string region) =>
        "SpotResources | where type =~ 'microsoft.compute/skuspotpricehistory/ostype/location'"
        + $" | where sku.name =~ '{Escape(sku)}' and location =~ '{Escape(region)}' and properties.osType =~ 'linux'"
        + " | project spotPrices = properties.spotPrices";

    public async Task<IReadOnlyList<SpotPricePoint>> GetAsync(string sku, string region, CancellationToken cancellationToken)
    {
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = RequestMethod.Post;
        message.Request.Uri.Reset(uri);
        message.Request.Headers.Add("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(BinaryData.FromObjectAsJson(new { query = Query(sku, region), options = new { resultFormat = "objectArray" } }));
        await pipeline.SendAsync(message, cancellationToken);
        if (message.Response.Status != 200)
        {
            throw new Azure.RequestFailedException(message.Response.Status, $"Resource Graph answered {message.Response.Status}: {message.Response.Content}");
        }

        using JsonDocument doc = JsonDocument.Parse(message.Response.Content.ToMemory());
        var points = new List<SpotPricePoint>();
        foreach (JsonElement row in doc.RootElement.GetProperty("data").EnumerateArray())
        {
            if (!row.TryGetProperty("spotPrices", out JsonElement prices) || prices.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (JsonElement p in prices.EnumerateArray())
            {
                if (p.TryGetProperty("priceUSD", out JsonElement price) && price.TryGetDecimal(out decimal usd)
                    && p.TryGetProperty("effectiveDate", out JsonElement date) && DateTimeOffset.TryParse(date.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset when))
                {
                    points.Add(new SpotPricePoint(when, usd));
                }
            }
        }

        return points;
    }

    static string Escape(string value) => value.Replace("'", "\\'", StringComparison.Ordinal);
}
