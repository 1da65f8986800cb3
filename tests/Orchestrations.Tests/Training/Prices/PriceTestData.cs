using GenAiServerless.Training.Prices;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

/// <summary>Small, hand-made price rows and GPU specs for selector tests.</summary>
internal static class PriceTestData
{
    public static readonly GpuSku[] Skus =
    [
        new("Standard_NC24ads_A100_v4", "A100", 1, 80, 24),
        new("Standard_NC48ads_A100_v4", "A100", 2, 80, 48),
        new("Standard_NC4as_T4_v3", "T4", 1, 16, 4),
    ];

    public static RetailPriceItem Item(string sku, string region, decimal price, bool spot = false, string product = "Virtual Machines NCads A100 v4 Series") =>
        new()
        {
            CurrencyCode = "USD",
            RetailPrice = price,
            UnitPrice = price,
            ArmRegionName = region,
            Location = region,
            EffectiveStartDate = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
            MeterId = $"{sku}/{region}/{spot}",
            MeterName = spot ? "NC24ads A100 v4 Spot" : "NC24ads A100 v4",
            SkuName = spot ? "NC24ads A100 v4 Spot" : "NC24ads A100 v4",
            ProductName = product,
            ServiceName = "Virtual Machines",
            ServiceFamily = "Compute",
            UnitOfMeasure = "1 Hour",
            PriceType = "Consumption",
            IsPrimaryMeterRegion = true,
            ArmSkuName = sku,
        };

    public static ComputeRequirements A100(
        double expectedHours = 10,
        double checkpointMinutes = 30,
        double restartMinutes = 10,
        double? deadlineHours = null,
        decimal? budgetUsd = null,
        bool allowSpot = true,
        params string[] regions) =>
        new("A100", 80, 1, regions, TimeSpan.FromHours(expectedHours), TimeSpan.FromMinutes(checkpointMinutes), TimeSpan.FromMinutes(restartMinutes),
            deadlineHours is { } d ? TimeSpan.FromHours(d) : null, budgetUsd, allowSpot);
}
