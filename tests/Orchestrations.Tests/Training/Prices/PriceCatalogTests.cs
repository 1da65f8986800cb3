using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

public class PriceCatalogTests
{
    [Fact]
    public void LoadSnapshot_EveryGpuType_HasSpotAndOnDemandInAtLeastSixRegionsOverall()
    {
        var catalog = PriceCatalog.LoadSnapshot();

        Assert.True(catalog.Offers.Select(o => o.Region).Distinct().Count() >= 6);
        foreach (var gpu in new[] { "T4", "A100", "H100-NVL", "H100" })
        {
            Assert.Contains(catalog.Offers, o => o.GpuType == gpu && o.Spot);
            Assert.Contains(catalog.Offers, o => o.GpuType == gpu && !o.Spot);
        }

        foreach (var gpu in new[] { "T4", "A100" })
        {
            var regions = catalog.Offers.Where(o => o.GpuType == gpu).Select(o => o.Region).Distinct().Count();
            Assert.True(regions >= 6, $"{gpu} is offered in {regions} regions");
        }
    }

    [Fact]
    public void LoadSnapshot_EveryOffer_CarriesSourceDateAndSpecs()
    {
        var catalog = PriceCatalog.LoadSnapshot();

        Assert.Equal(10, catalog.Offers.Select(o => o.Sku).Distinct().Count());
        Assert.All(catalog.Offers, o =>
        {
            Assert.False(string.IsNullOrWhiteSpace(o.Source));
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}", o.AsOf);
            Assert.True(o.PricePerHour > 0m);
            Assert.True(o.GpuCount >= 1 && o.GpuMemoryGb >= 16);
            Assert.Equal(o.Spot, o.EvictionRatePerHour > 0);
            Assert.Equal(o.Spot, o.EvictionBand != PriceCatalog.NoEviction);
        });
        Assert.Equal(6, catalog.Rejected.Count);
        var a100 = Assert.Single(catalog.Offers, o => o is { Sku: "Standard_NC24ads_A100_v4", Region: "eastus", Spot: false });
        Assert.Equal(3.673m, a100.PricePerHour);
        Assert.Equal("2026-11-09", a100.AsOf);
    }

    [Fact]
    public void From_SpotWithoutEvictionRow_AssumesWorstBand()
    {
        var catalog = PriceCatalog.From(
            [PriceTestData.Item("Standard_NC24ads_A100_v4", "eastus", 0.5m, spot: true), PriceTestData.Item("Standard_NC24ads_A100_v4", "westus3", 0.4m, spot: true)],
            [new SpotEvictionRate("standard_nc24ads_a100_v4", "EastUS", "0-5")],
            PriceTestData.Skus);

        Assert.Equal("0-5", catalog.Offers.Single(o => o.Region == "eastus").EvictionBand);
        Assert.Equal(SpotEvictionRate.UnknownBand, catalog.Offers.Single(o => o.Region == "westus3").EvictionBand);
    }

    [Fact]
    public void From_SkuWithoutGpuSpec_QuarantinedWithReason()
    {
        var catalog = PriceCatalog.From([PriceTestData.Item("Standard_D4s_v5", "eastus", 0.19m)], [], PriceTestData.Skus);

        Assert.Empty(catalog.Offers);
        Assert.Contains("no GPU spec for 'Standard_D4s_v5'", Assert.Single(catalog.Rejected).Reason, StringComparison.Ordinal);
    }
}
