using System.Text.Json;

namespace GenAiServerless.Training.Prices;

/// <summary>An hourly Linux VM price kept from the Retail Prices API.</summary>
public sealed record VmHourlyPrice(
    string Sku,
    string Region,
    bool Spot,
    decimal PricePerHour,
    string MeterName,
    DateTimeOffset? EffectiveStartDate);

/// <summary>A Retail Prices row the parser did not keep, with the reason (the quarantine).</summary>
public sealed record RejectedPriceItem(RetailPriceItem Item, string Reason);

/// <summary>What the parser kept and what it rejected.</summary>
public sealed record RetailPricesParseResult(
    IReadOnlyList<VmHourlyPrice> Prices,
    IReadOnlyList<RejectedPriceItem> Rejected);

/// <summary>Turns Retail Prices API pages into hourly Linux pay-as-you-go and Spot VM prices.</summary>
public static class RetailPricesParser
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Reads one page in the API's JSON shape.</summary>
    public static RetailPricesPage ParsePage(string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        return JsonSerializer.Deserialize<RetailPricesPage>(json, JsonOptions)
            ?? throw new JsonException("RetailPricesPage: the document is the JSON literal null.");
    }

    /// <summary>Reads one page in the API's JSON shape from a stream.</summary>
    public static async Task<RetailPricesPage> ParsePageAsync(Stream json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(json);
        return await JsonSerializer.DeserializeAsync<RetailPricesPage>(json, JsonOptions, cancellationToken).ConfigureAwait(false)
            ?? throw new JsonException("RetailPricesPage: the document is the JSON literal null.");
    }

    /// <summary>Keeps the items of every page that are hourly Linux consumption prices.</summary>
    public static RetailPricesParseResult Parse(IEnumerable<RetailPricesPage> pages)
    {
        ArgumentNullException.ThrowIfNull(pages);
        return Parse(pages.SelectMany(p => p.Items));
    }

    /// <summary>
    /// Keeps Linux (<c>productName</c> not ending in "Windows"), <c>type == "Consumption"</c>, "1 Hour", USD rows that are
    /// not "Low Priority" meters; a row is Spot when its meterName or skuName contains "Spot". When one SKU, region and
    /// offer has several rows the newest <c>effectiveStartDate</c> wins (then the primary meter region).
    /// </summary>
    public static RetailPricesParseResult Parse(IEnumerable<RetailPriceItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var rejected = new List<RejectedPriceItem>();
        var candidates = new List<(RetailPriceItem Item, VmHourlyPrice Price)>();

        foreach (var item in items)
        {
            var reason = RejectionReason(item);
            if (reason is not null)
            {
                rejected.Add(new RejectedPriceItem(item, reason));
                continue;
            }

            var spot = Contains(item.MeterName, "Spot") || Contains(item.SkuName, "Spot");
            candidates.Add((item, new VmHourlyPrice(
                item.ArmSkuName!, item.ArmRegionName!, spot, item.RetailPrice, item.MeterName ?? string.Empty, item.EffectiveStartDate)));
        }

        var kept = new List<VmHourlyPrice>();
        foreach (var group in candidates.GroupBy(c => (c.Price.Sku, c.Price.Region, c.Price.Spot)))
        {
            var ordered = group
                .OrderByDescending(c => c.Item.EffectiveStartDate ?? DateTimeOffset.MinValue)
                .ThenByDescending(c => c.Item.IsPrimaryMeterRegion)
                .ThenBy(c => c.Item.RetailPrice)
                .ToList();
            kept.Add(ordered[0].Price);
            rejected.AddRange(ordered.Skip(1).Select(c => new RejectedPriceItem(
                c.Item,
                $"superseded by meter '{ordered[0].Item.MeterId}' effective {ordered[0].Item.EffectiveStartDate:O} for the same SKU, region and offer")));
        }

        return new RetailPricesParseResult(
            [.. kept.OrderBy(p => p.Sku, StringComparer.Ordinal).ThenBy(p => p.Region, StringComparer.Ordinal).ThenBy(p => p.Spot)],
            rejected);
    }

    private static string? RejectionReason(RetailPriceItem item)
    {
        if (string.IsNullOrWhiteSpace(item.ArmSkuName))
        {
            return "armSkuName is empty";
        }

        if (string.IsNullOrWhiteSpace(item.ArmRegionName))
        {
            return "armRegionName is empty";
        }

        if (!string.Equals(item.PriceType, "Consumption", StringComparison.Ordinal))
        {
            return $"type is '{item.PriceType}', not 'Consumption'";
        }

        if (!string.Equals(item.UnitOfMeasure, "1 Hour", StringComparison.Ordinal))
        {
            return $"unitOfMeasure is '{item.UnitOfMeasure}', not '1 Hour'";
        }

        if (item.ProductName is { } product && product.EndsWith("Windows", StringComparison.Ordinal))
        {
            return "productName ends in 'Windows' (only Linux prices are kept)";
        }

        if (Contains(item.MeterName, "Low Priority") || Contains(item.SkuName, "Low Priority"))
        {
            return "a 'Low Priority' meter (the retired Batch offer, not Spot)";
        }

        if (!string.Equals(item.CurrencyCode ?? "USD", "USD", StringComparison.Ordinal))
        {
            return $"currencyCode is '{item.CurrencyCode}', not 'USD'";
        }

        if (item.RetailPrice <= 0m)
        {
            return $"retailPrice is {item.RetailPrice}, not a positive hourly price";
        }

        return null;
    }

    private static bool Contains(string? value, string part) =>
        value is not null && value.Contains(part, StringComparison.Ordinal);
}
