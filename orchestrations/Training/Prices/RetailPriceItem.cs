using System.Text.Json.Serialization;

namespace GenAiServerless.Training.Prices;

/// <summary>One row of the Azure Retail Prices API (<c>Items[]</c>), named exactly as the API names it.</summary>
/// <remarks>Unknown fields (savingsPlan, reservationTerm, …) are ignored so a new API field never breaks parsing.</remarks>
public sealed record RetailPriceItem
{
    [JsonPropertyName("currencyCode")] public string? CurrencyCode { get; init; }
    [JsonPropertyName("tierMinimumUnits")] public decimal TierMinimumUnits { get; init; }
    [JsonPropertyName("retailPrice")] public decimal RetailPrice { get; init; }
    [JsonPropertyName("unitPrice")] public decimal UnitPrice { get; init; }
    [JsonPropertyName("armRegionName")] public string? ArmRegionName { get; init; }
    [JsonPropertyName("location")] public string? Location { get; init; }
    [JsonPropertyName("effectiveStartDate")] public DateTimeOffset? EffectiveStartDate { get; init; }
    [JsonPropertyName("meterId")] public string? MeterId { get; init; }
    [JsonPropertyName("meterName")] public string? MeterName { get; init; }
    [JsonPropertyName("productId")] public string? ProductId { get; init; }
    [JsonPropertyName("skuId")] public string? SkuId { get; init; }
    [JsonPropertyName("productName")] public string? ProductName { get; init; }
    [JsonPropertyName("skuName")] public string? SkuName { get; init; }
    [JsonPropertyName("serviceName")] public string? ServiceName { get; init; }
    [JsonPropertyName("serviceId")] public string? ServiceId { get; init; }
    [JsonPropertyName("serviceFamily")] public string? ServiceFamily { get; init; }
    [JsonPropertyName("unitOfMeasure")] public string? UnitOfMeasure { get; init; }

    /// <summary>The API's <c>type</c> field: Consumption, DevTestConsumption, Reservation.</summary>
    [JsonPropertyName("type")] public string? PriceType { get; init; }

    [JsonPropertyName("isPrimaryMeterRegion")] public bool IsPrimaryMeterRegion { get; init; }
    [JsonPropertyName("armSkuName")] public string? ArmSkuName { get; init; }
}

/// <summary>One page of the Retail Prices API; follow <see cref="NextPageLink"/> until it is null.</summary>
public sealed record RetailPricesPage
{
    [JsonPropertyName("BillingCurrency")] public string? BillingCurrency { get; init; }
    [JsonPropertyName("CustomerEntityId")] public string? CustomerEntityId { get; init; }
    [JsonPropertyName("CustomerEntityType")] public string? CustomerEntityType { get; init; }
    [JsonPropertyName("Items")] public IReadOnlyList<RetailPriceItem> Items { get; init; } = [];
    [JsonPropertyName("NextPageLink")] public string? NextPageLink { get; init; }
    [JsonPropertyName("Count")] public int Count { get; init; }
}
