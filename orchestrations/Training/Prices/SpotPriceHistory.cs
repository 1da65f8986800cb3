using System.Globalization;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GenAiServerless.Training.Prices;

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
