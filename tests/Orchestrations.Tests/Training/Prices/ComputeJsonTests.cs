using System.Text.Json;
using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

public class ComputeJsonTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void ComputeRequirements_RoundTripsThroughSystemTextJson()
    {
        var req = new ComputeRequirements("H100-NVL", 90, 2, ["uksouth", "eastus"], TimeSpan.FromHours(36.5), TimeSpan.FromMinutes(45), TimeSpan.FromMinutes(12), TimeSpan.FromHours(48), 900.50m, true);

        var copy = JsonSerializer.Deserialize<ComputeRequirements>(JsonSerializer.Serialize(req, Web), Web)!;

        Assert.Equal(req with { AllowedRegions = copy.AllowedRegions }, copy);
        Assert.Equal(req.AllowedRegions, copy.AllowedRegions);
    }

    [Fact]
    public void ComputeRequirements_NullOptionals_RoundTrip()
    {
        var req = new ComputeRequirements(null, 0, 1, [], TimeSpan.FromHours(1), TimeSpan.Zero, TimeSpan.Zero, null, null, false);

        var json = JsonSerializer.Serialize(req, Web);
        var copy = JsonSerializer.Deserialize<ComputeRequirements>(json, Web)!;

        Assert.Contains("\"deadline\":null", json, StringComparison.Ordinal);
        Assert.Equal(req with { AllowedRegions = copy.AllowedRegions }, copy);
        Assert.Empty(copy.AllowedRegions);
    }

    [Fact]
    public void ComputeChoice_RoundTripsThroughSystemTextJson()
    {
        var choice = ComputeSelector.Choose(PriceCatalog.LoadSnapshot(), PriceTestData.A100());

        var copy = JsonSerializer.Deserialize<ComputeChoice>(JsonSerializer.Serialize(choice, Web), Web)!;

        Assert.Equal(choice.Offer, copy.Offer);
        Assert.Equal(choice.ExpectedCostUsd, copy.ExpectedCostUsd);
        Assert.Equal(choice.ExpectedWallTime, copy.ExpectedWallTime);
        Assert.Equal(choice.Reason, copy.Reason);
        Assert.Equal(choice.Alternatives, copy.Alternatives);
    }
}
