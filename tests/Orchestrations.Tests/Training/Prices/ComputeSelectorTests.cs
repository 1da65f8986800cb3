using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

public class ComputeSelectorTests
{
    private const string A100 = "Standard_NC24ads_A100_v4";

    private static PriceCatalog Catalog(RetailPriceItem[] items, params SpotEvictionRate[] rates) =>
        PriceCatalog.From(items, rates, PriceTestData.Skus);

    [Fact]
    public void Choose_Snapshot_PicksCheapestExpectedSpotAndRanksFiveAlternatives()
    {
        var choice = ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), PriceTestData.A100());

        Assert.Equal((A100, "westus3", true), (choice.Offer.Sku, choice.Offer.Region, choice.Offer.Spot));
        Assert.Equal(ComputeSelector.AlternativeCount, choice.Alternatives.Count);
        Assert.Equal([2, 3, 4, 5, 6], choice.Alternatives.Select(a => a.Rank));
        Assert.Equal(choice.Alternatives.Select(a => a.ExpectedCostUsd).Order(), choice.Alternatives.Select(a => a.ExpectedCostUsd));
        Assert.True(choice.Alternatives[0].ExpectedCostUsd >= choice.ExpectedCostUsd);
        Assert.True(choice.ExpectedWallTime.TotalHours > 10.0);
        Assert.Contains("westus3", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_NoSkuHasGpuType_ThrowsNamingGpuTypeFilter()
    {
        var req = PriceTestData.A100() with { GpuType = "B200" };

        var error = Assert.Throws<NoComputeFitsException>(() => ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), req));

        Assert.Contains("GPU type 'B200'", error.Message, StringComparison.Ordinal);
        Assert.Contains("H100-NVL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_MoreGpuMemoryThanAnySku_ThrowsNamingMemoryFilter()
    {
        var req = PriceTestData.A100() with { GpuType = null, MinGpuMemoryGb = 141 };

        var error = Assert.Throws<NoComputeFitsException>(() => ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), req));

        Assert.Contains("at least 141 GB per GPU; the most is 94 GB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_GpuCountNotOffered_ThrowsNamingCountFilter()
    {
        var req = PriceTestData.A100() with { GpuCount = 8 };

        var error = Assert.Throws<NoComputeFitsException>(() => ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), req));

        Assert.Contains("exactly 8 GPU(s); available counts are [1, 2, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_ResidencyRestrictsRegions_ChoosesOnlyInAllowedRegion()
    {
        var req = PriceTestData.A100(regions: "uksouth");

        var choice = ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), req);

        Assert.Equal("uksouth", choice.Offer.Region);
        Assert.All(choice.Alternatives, a => Assert.Equal("uksouth", a.Offer.Region));
        Assert.Single(choice.Alternatives); // uksouth has one 1×A100 on-demand and one spot offer
    }

    [Fact]
    public void Choose_ResidencyRegionWithoutOffer_ThrowsNamingRegions()
    {
        var req = PriceTestData.A100(regions: ["germanywestcentral", "swedencentral"]);

        var error = Assert.Throws<NoComputeFitsException>(() => ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), req));

        Assert.Contains("allowed regions [germanywestcentral, swedencentral]", error.Message, StringComparison.Ordinal);
        Assert.Contains("uksouth", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_BudgetBelowCheapest_ThrowsNamingCheapestCostAndBudget()
    {
        var req = PriceTestData.A100(budgetUsd: 1.00m);

        var error = Assert.Throws<NoComputeFitsException>(() => ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), req));

        Assert.Contains("budget of $1.00", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected to cost $4.04", error.Message, StringComparison.Ordinal);
        Assert.Contains("westus3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_DeadlineSpotCannotMeet_FallsBackToDedicated()
    {
        // No checkpoints: an eviction loses on average half the run, so the 20+ spot offer is expected to take ~102.7 h.
        var catalog = Catalog(
            [PriceTestData.Item(A100, "eastus", 0.50m, spot: true), PriceTestData.Item(A100, "eastus", 3.673m)],
            new SpotEvictionRate(A100, "eastus", "20+"));
        var req = PriceTestData.A100(expectedHours: 100, checkpointMinutes: 100 * 60, restartMinutes: 30, deadlineHours: 101);

        var choice = ComputeSelector.Choose(catalog, req);

        Assert.False(choice.Offer.Spot);
        Assert.Equal(100.0, choice.ExpectedWallTime.TotalHours, 9);
        Assert.Equal(367.3m, choice.ExpectedCostUsd);
        Assert.Empty(choice.Alternatives);
        Assert.Contains("1 spot offer(s) were excluded", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_DeadlineNoOfferMeets_ThrowsNamingFastest()
    {
        var catalog = Catalog([PriceTestData.Item(A100, "eastus", 3.673m)]);

        var error = Assert.Throws<NoComputeFitsException>(() => ComputeSelector.Choose(catalog, PriceTestData.A100(deadlineHours: 5)));

        Assert.Contains("deadline of 5 h; the fastest is Standard_NC24ads_A100_v4 in eastus (on-demand) at 10 h", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Choose_CheaperSpotInHigherEvictionBand_LosesToSaferSpot()
    {
        var catalog = Catalog(
            [PriceTestData.Item(A100, "eastus", 1.00m, spot: true), PriceTestData.Item(A100, "westus3", 1.02m, spot: true)],
            new SpotEvictionRate(A100, "eastus", "20+"),
            new SpotEvictionRate(A100, "westus3", "0-5"));
        var req = PriceTestData.A100(expectedHours: 200, checkpointMinutes: 200 * 60, restartMinutes: 30);

        var choice = ComputeSelector.Choose(catalog, req);

        Assert.Equal("westus3", choice.Offer.Region);
        var risky = Assert.Single(choice.Alternatives);
        Assert.Equal("eastus", risky.Offer.Region);
        Assert.True(risky.ExpectedCostUsd > choice.ExpectedCostUsd);
        Assert.True(risky.ExpectedEvictions > 0.1);
    }

    [Fact]
    public void Choose_SpotNotAllowed_ChoosesOnDemand()
    {
        var choice = ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), PriceTestData.A100(allowSpot: false));

        Assert.False(choice.Offer.Spot);
        Assert.Equal(3.673m, choice.Offer.PricePerHour);
        Assert.All(choice.Alternatives, a => Assert.False(a.Offer.Spot));
    }

    [Fact]
    public void Choose_EqualCostAndTime_BrokenByRegionThenSku()
    {
        var catalog = PriceCatalog.From(
            [PriceTestData.Item(A100, "westus2", 3.673m), PriceTestData.Item(A100, "eastus2", 3.673m), PriceTestData.Item("Standard_NC24ads_A100_v4b", "eastus2", 3.673m)],
            [],
            [.. PriceTestData.Skus, new GpuSku("Standard_NC24ads_A100_v4b", "A100", 1, 80, 24)]);

        var choice = ComputeSelector.Choose(catalog, PriceTestData.A100());

        Assert.Equal((A100, "eastus2"), (choice.Offer.Sku, choice.Offer.Region));
        Assert.Equal(
            [("Standard_NC24ads_A100_v4b", "eastus2"), (A100, "westus2")],
            choice.Alternatives.Select(a => (a.Offer.Sku, a.Offer.Region)));
    }

    [Fact]
    public void Choose_InvalidRequirements_ThrowsNamingField()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), PriceTestData.A100() with { ExpectedDuration = TimeSpan.Zero }));

        Assert.Contains("ComputeRequirements.ExpectedDuration", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpectedWallHours_Spot_SatisfiesFixedPointAndDivergesWhenLossOutpacesWork()
    {
        const double expected = 50, rate = 0.02, lost = 3;

        var wall = ComputeSelector.ExpectedWallHours(expected, rate, lost)!.Value;

        Assert.Equal(expected + (rate * wall * lost), wall, 9);
        Assert.Null(ComputeSelector.ExpectedWallHours(expected, 0.5, 2));
        Assert.Equal(expected, ComputeSelector.ExpectedWallHours(expected, 0, lost));
    }
}
