using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

public class RetailPricesParserTests
{
    private static string Snapshot()
    {
        using var stream = typeof(PriceCatalog).Assembly.GetManifestResourceStream("prices/retail-prices-snapshot.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [Fact]
    public void Parse_SnapshotOddRows_RejectedWithReasons()
    {
        var page = RetailPricesParser.ParsePage(Snapshot());

        var result = RetailPricesParser.Parse([page]);

        Assert.Equal(page.Count, page.Items.Count);
        Assert.Equal(page.Items.Count, result.Prices.Count + result.Rejected.Count);
        Assert.Contains(result.Rejected, r => r.Reason.Contains("Windows", StringComparison.Ordinal));
        Assert.Contains(result.Rejected, r => r.Reason.Contains("Low Priority", StringComparison.Ordinal));
        Assert.Contains(result.Rejected, r => r.Reason.Contains("'DevTestConsumption'", StringComparison.Ordinal));
        Assert.Contains(result.Rejected, r => r.Reason.Contains("'Reservation'", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Prices, p => p.MeterName.Contains("Low Priority", StringComparison.Ordinal));
        Assert.All(result.Prices, p => Assert.True(p.PricePerHour < 200m, $"{p.Sku} {p.Region} {p.PricePerHour}"));
    }

    [Fact]
    public void Parse_SpotOnlyInSkuName_MarkedSpot()
    {
        var item = PriceTestData.Item("Standard_NC24ads_A100_v4", "eastus", 0.5m) with { SkuName = "NC24ads A100 v4 Spot", MeterName = "NC24ads A100 v4" };

        var result = RetailPricesParser.Parse([item]);

        Assert.True(Assert.Single(result.Prices).Spot);
    }

    [Fact]
    public void Parse_SameOfferTwice_NewestEffectiveDateWinsAndOlderIsQuarantined()
    {
        var old = PriceTestData.Item("Standard_NC24ads_A100_v4", "eastus", 3.0m) with { EffectiveStartDate = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), MeterId = "old" };
        var current = PriceTestData.Item("Standard_NC24ads_A100_v4", "eastus", 3.673m) with { MeterId = "current" };

        var result = RetailPricesParser.Parse([old, current]);

        Assert.Equal(3.673m, Assert.Single(result.Prices).PricePerHour);
        var rejected = Assert.Single(result.Rejected);
        Assert.Equal("old", rejected.Item.MeterId);
        Assert.Contains("superseded by meter 'current'", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePage_UnknownFields_Ignored()
    {
        const string json = """
            {"BillingCurrency":"USD","CustomerEntityId":"Default","CustomerEntityType":"Retail","SomethingNew":1,
             "Items":[{"currencyCode":"USD","retailPrice":0.526,"unitPrice":0.526,"armRegionName":"eastus","armSkuName":"Standard_NC4as_T4_v3",
                       "meterName":"NC4as T4 v3","skuName":"NC4as T4 v3","productName":"Virtual Machines NCasT4 v3 Series",
                       "serviceName":"Virtual Machines","unitOfMeasure":"1 Hour","type":"Consumption","effectiveStartDate":"2021-11-01T00:00:00Z",
                       "savingsPlan":[{"unitPrice":0.3,"term":"1 Year"}],"brandNewField":{"x":true}}],
             "NextPageLink":null,"Count":1}
            """;

        var page = RetailPricesParser.ParsePage(json);
        var price = Assert.Single(RetailPricesParser.Parse(page.Items).Prices);

        Assert.Equal(("Standard_NC4as_T4_v3", "eastus", false, 0.526m), (price.Sku, price.Region, price.Spot, price.PricePerHour));
    }

    [Fact]
    public void Parse_NonHourlyOrNonUsdRow_Rejected()
    {
        var perMonth = PriceTestData.Item("Standard_NC24ads_A100_v4", "eastus", 3m) with { UnitOfMeasure = "1/Month" };
        var euro = PriceTestData.Item("Standard_NC24ads_A100_v4", "westus2", 3m) with { CurrencyCode = "EUR" };

        var result = RetailPricesParser.Parse([perMonth, euro]);

        Assert.Empty(result.Prices);
        Assert.Collection(result.Rejected,
            r => Assert.Contains("unitOfMeasure", r.Reason, StringComparison.Ordinal),
            r => Assert.Contains("currencyCode", r.Reason, StringComparison.Ordinal));
    }
}
