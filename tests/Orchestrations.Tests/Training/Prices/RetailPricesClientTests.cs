using GenAiServerless.Tests.Orchestrations.TestDoubles;
using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

public class RetailPricesClientTests
{
    private const string FirstUri =
        "https://prices.azure.com/api/retail/prices?api-version=2023-01-01-preview&$filter=serviceName%20eq%20%27Virtual%20Machines%27%20and%20armRegionName%20eq%20%27eastus%27%20and%20armSkuName%20eq%20%27Standard_NC24ads_A100_v4%27%20and%20priceType%20eq%20%27Consumption%27";

    private const string NextLink =
        "https://prices.azure.com:443/api/retail/prices?api-version=2023-01-01-preview&$filter=serviceName%20eq%20%27Virtual%20Machines%27%20and%20armRegionName%20eq%20%27eastus%27%20and%20armSkuName%20eq%20%27Standard_NC24ads_A100_v4%27%20and%20priceType%20eq%20%27Consumption%27&$skip=100";

    private static string Page(string? next, params (string Meter, string Product, decimal Price)[] rows)
    {
        var items = string.Join(",", rows.Select(r => $$"""
            {"currencyCode":"USD","tierMinimumUnits":0.0,"retailPrice":{{r.Price}},"unitPrice":{{r.Price}},"armRegionName":"eastus","location":"US East",
             "effectiveStartDate":"2026-11-01T00:00:00Z","meterId":"{{Guid.NewGuid()}}","meterName":"{{r.Meter}}","productId":"DZH318Z0BQPS","skuId":"DZH318Z0BQPS/00TG",
             "productName":"{{r.Product}}","skuName":"{{r.Meter}}","serviceName":"Virtual Machines","serviceId":"DZH313Z7MMC8","serviceFamily":"Compute",
             "unitOfMeasure":"1 Hour","type":"Consumption","isPrimaryMeterRegion":true,"armSkuName":"Standard_NC24ads_A100_v4"}
            """));
        var link = next is null ? "null" : $"\"{next}\"";
        return $$"""{"BillingCurrency":"USD","CustomerEntityId":"Default","CustomerEntityType":"Retail","Items":[{{items}}],"NextPageLink":{{link}},"Count":{{rows.Length}}}""";
    }

    [Fact]
    public async Task GetPricesAsync_TwoPages_SendsExactFilterAndFollowsNextPageLink()
    {
        var transport = RecordingTransport.Ok(
            Page(NextLink, ("NC24ads A100 v4", "Virtual Machines NCads A100 v4 Series", 3.673m), ("NC24ads A100 v4", "Virtual Machines NCads A100 v4 Series Windows", 4.4m)),
            Page(null, ("NC24ads A100 v4 Spot", "Virtual Machines NCads A100 v4 Series", 0.444433m)));
        var client = new RetailPricesClient(transport);

        var result = await client.GetPricesAsync("eastus", "Standard_NC24ads_A100_v4");

        Assert.Equal(2, transport.RequestUris.Count);
        Assert.Equal(FirstUri, transport.RequestUris[0]);
        Assert.Equal(new Uri(NextLink), new Uri(transport.RequestUris[1]));
        Assert.EndsWith("&$skip=100", transport.RequestUris[1], StringComparison.Ordinal);
        Assert.All(transport.Methods, m => Assert.Equal("GET", m));
        var query = new Uri(transport.RequestUris[0]).Query;
        Assert.Contains("api-version=2023-01-01-preview", query, StringComparison.Ordinal);
        Assert.Contains(
            "$filter=serviceName eq 'Virtual Machines' and armRegionName eq 'eastus' and armSkuName eq 'Standard_NC24ads_A100_v4' and priceType eq 'Consumption'",
            Uri.UnescapeDataString(query), StringComparison.Ordinal);
        Assert.Collection(result.Prices,
            p => Assert.Equal((false, 3.673m), (p.Spot, p.PricePerHour)),
            p => Assert.Equal((true, 0.444433m), (p.Spot, p.PricePerHour)));
        Assert.Contains("Windows", Assert.Single(result.Rejected).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetItemsAsync_SameFilterTwice_ServedFromCacheUntilItExpires()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var transport = RecordingTransport.Ok(
            Page(null, ("NC24ads A100 v4", "Virtual Machines NCads A100 v4 Series", 3.673m)),
            Page(null, ("NC24ads A100 v4", "Virtual Machines NCads A100 v4 Series", 3.9m)));
        var client = new RetailPricesClient(new RetailPricesClientOptions { Transport = transport, TimeProvider = clock, CacheDuration = TimeSpan.FromHours(1) });

        var first = await client.GetItemsAsync("eastus", "Standard_NC24ads_A100_v4");
        var cached = await client.GetItemsAsync("eastus", "Standard_NC24ads_A100_v4");
        clock.Now += TimeSpan.FromHours(2);
        var refreshed = await client.GetItemsAsync("eastus", "Standard_NC24ads_A100_v4");

        Assert.Same(first, cached);
        Assert.Equal(2, transport.RequestUris.Count);
        Assert.Equal(3.9m, Assert.Single(refreshed).RetailPrice);
    }

    [Fact]
    public async Task GetItemsAsync_NextPageLinkOnAnotherHost_Throws()
    {
        var transport = RecordingTransport.Ok(Page("https://example.com/steal?x=1", ("NC24ads A100 v4", "Virtual Machines NCads A100 v4 Series", 3.673m)));
        var client = new RetailPricesClient(transport);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetItemsAsync("eastus", "Standard_NC24ads_A100_v4"));

        Assert.Contains("example.com", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildFilter_ValueWithQuote_DoublesQuoteAndKeepsCase()
    {
        var filter = RetailPricesClient.BuildFilter("eastUS", "Standard_O'Brien_v1");

        Assert.Equal(
            "serviceName eq 'Virtual Machines' and armRegionName eq 'eastUS' and armSkuName eq 'Standard_O''Brien_v1' and priceType eq 'Consumption'",
            filter);
    }

    [Fact]
    public void BuildFilter_EmptyRegion_Throws()
    {
        Assert.Throws<ArgumentException>(() => RetailPricesClient.BuildFilter(" ", "Standard_NC4as_T4_v3"));
    }
}
