using System.Globalization;
using System.Text.Json;

namespace GenAiServerless.Training.Prices;

/// <summary>
/// One Azure Resource Graph <c>SpotResources</c> row of type <c>microsoft.compute/skuspotevictionrate/location</c>:
/// the eviction band ("0-5", "5-10", "10-15", "15-20", "20+") of a VM size in a region.
/// </summary>
public sealed record SpotEvictionRate(string SkuName, string Location, string EvictionRate)
{
    /// <summary>The Resource Graph type these rows carry.</summary>
    public const string ResourceType = "microsoft.compute/skuspotevictionrate/location";

    /// <summary>The hours the band is measured over: the trailing 28 days.</summary>
    public const double WindowHours = 28 * 24;

    /// <summary>The band assumed for a spot offer with no eviction row: the worst one.</summary>
    public const string UnknownBand = "20+";

    /// <summary>This row's band as an eviction rate per VM-hour (see <see cref="ToHourlyRate"/>).</summary>
    public double RatePerHour => ToHourlyRate(EvictionRate);

    /// <summary>
    /// Converts a band to a constant per-hour eviction hazard.
    /// </summary>
    /// <remarks>
    /// The band is the share of spot VMs of the size evicted in the region over the trailing 28 days. Reading that share
    /// p as the chance that a VM running the whole window is evicted, and evictions as a Poisson process with constant
    /// hazard λ, gives p = 1 − e^(−λ·672 h), so λ = −ln(1 − p) / 672. p is the band's midpoint; an open band "a+" is taken
    /// as a + 10 points (20+ → 30 %), a deliberately pessimistic guess. This is slightly above midpoint ÷ 672 (the
    /// linear reading), and stays finite for any p below 100 %. Some public material reads the band as a chance per
    /// hour instead; that reading is 672 times more pessimistic and is not used here (see Training/PriceSnapshot/sources.json).
    /// </remarks>
    public static double ToHourlyRate(string band)
    {
        var share = BandMidpointPercent(band) / 100.0;
        return -Math.Log(1.0 - share) / WindowHours;
    }

    /// <summary>The midpoint of a band in percent: "5-10" → 7.5, "20+" → 30.</summary>
    public static double BandMidpointPercent(string band)
    {
        ArgumentNullException.ThrowIfNull(band);
        var text = band.Trim().TrimEnd('%').Trim();
        if (text.EndsWith('+') && TryPercent(text[..^1], out var floor))
        {
            return Math.Min(floor + 10.0, 95.0);
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && TryPercent(text[..dash], out var low) && TryPercent(text[(dash + 1)..], out var high) && high >= low)
        {
            return (low + high) / 2.0;
        }

        throw new FormatException(
            $"SpotEvictionRate.EvictionRate: '{band}' is not a band of the form 'a-b' or 'a+' (percent), e.g. '0-5' or '20+'.");
    }

    private static bool TryPercent(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value is >= 0 and < 100;
}

/// <summary>Reads Resource Graph answers for <see cref="SpotEvictionRate.ResourceType"/>.</summary>
public static class SpotEvictionRatesParser
{
    /// <summary>
    /// Accepts the Resource Graph response (<c>{"data":[rows]}</c>, object-array result format) or a bare array of rows.
    /// Rows of another type are skipped; the SKU comes from <c>properties.skuName</c>, else <c>sku.name</c>, else <c>name</c>.
    /// </summary>
    public static IReadOnlyList<SpotEvictionRate> Parse(string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        using var document = JsonDocument.Parse(json);
        var rows = document.RootElement.ValueKind switch
        {
            JsonValueKind.Array => document.RootElement,
            JsonValueKind.Object when document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array => data,
            _ => throw new JsonException("SpotEvictionRates: expected a Resource Graph response with a 'data' array, or an array of rows."),
        };

        var result = new List<SpotEvictionRate>();
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            var type = Text(row, "type");
            if (type is not null && !string.Equals(type, SpotEvictionRate.ResourceType, StringComparison.OrdinalIgnoreCase))
            {
                index++;
                continue;
            }

            row.TryGetProperty("properties", out var properties);
            var sku = Text(properties, "skuName") ?? Text(row.TryGetProperty("sku", out var s) ? s : default, "name") ?? Text(row, "name");
            var location = Text(properties, "location") ?? Text(row, "location");
            var band = Text(properties, "evictionRate");
            if (sku is null || location is null || band is null)
            {
                throw new JsonException(
                    $"SpotEvictionRates: row {index} lacks {(sku is null ? "properties.skuName" : location is null ? "location" : "properties.evictionRate")}.");
            }

            // Validate the band now, so a malformed row fails here and names its row rather than later in a selection.
            _ = SpotEvictionRate.BandMidpointPercent(band);
            result.Add(new SpotEvictionRate(sku, location, band));
            index++;
        }

        return result;
    }

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object
        && element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
        && !string.IsNullOrWhiteSpace(value.GetString())
            ? value.GetString()
            : null;
}
