using System.Globalization;
using System.Text.Json;

namespace GenAiServerless.Training.Prices;

/// <summary>A VM size in a region at an hourly price, with its GPUs and (for spot) its eviction rate.</summary>
/// <param name="EvictionRatePerHour">Expected evictions per VM-hour; 0 for on-demand.</param>
/// <param name="EvictionBand">The Resource Graph band the rate came from; "none" for on-demand.</param>
/// <param name="Source">Where the price came from (and how it was derived, when it was).</param>
/// <param name="AsOf">The date of the price, as its source gives it.</param>
public sealed record GpuOffer(
    string Sku,
    string Region,
    string GpuType,
    int GpuCount,
    int GpuMemoryGb,
    bool Spot,
    decimal PricePerHour,
    double EvictionRatePerHour,
    string EvictionBand,
    string Source,
    string AsOf);

/// <summary>The GPU offers the selector chooses from: prices joined with GPU specs and spot eviction rates.</summary>
public sealed class PriceCatalog
{
    /// <summary>The band of an on-demand offer, which is never evicted.</summary>
    public const string NoEviction = "none";

    private const string ResourcePrefix = "prices/";

    private PriceCatalog(IReadOnlyList<GpuOffer> offers, IReadOnlyList<RejectedPriceItem> rejected)
    {
        Offers = offers;
        Rejected = rejected;
    }

    /// <summary>Every offer, ordered by SKU, region, then on-demand before spot.</summary>
    public IReadOnlyList<GpuOffer> Offers { get; }

    /// <summary>Price rows that did not become offers, each with its reason.</summary>
    public IReadOnlyList<RejectedPriceItem> Rejected { get; }

    /// <summary>
    /// The snapshot shipped with this assembly (<c>Training/PriceSnapshot/*.json</c>, embedded as <c>prices/*.json</c>): prices in the Retail Prices API shape, eviction
    /// bands in the Resource Graph shape, GPU specs, and the per-figure provenance that fills <see cref="GpuOffer.Source"/>.
    /// </summary>
    public static PriceCatalog LoadSnapshot()
    {
        var page = RetailPricesParser.ParsePage(ReadResource("retail-prices-snapshot.json"));
        var rates = SpotEvictionRatesParser.Parse(ReadResource("spot-eviction-rates.json"));
        var skus = GpuSku.ParseList(ReadResource("gpu-skus.json"));
        var provenance = ReadProvenance(ReadResource("sources.json"));
        return Build(page.Items, rates, skus, provenance);
    }

    /// <summary>A catalog from price rows (e.g. a live <see cref="RetailPricesClient"/> answer), eviction rows and GPU specs.</summary>
    public static PriceCatalog From(IEnumerable<RetailPriceItem> items, IEnumerable<SpotEvictionRate> rates, IEnumerable<GpuSku> skus)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentNullException.ThrowIfNull(skus);
        return Build(items, rates, skus, provenance: null);
    }

    private static PriceCatalog Build(
        IEnumerable<RetailPriceItem> items,
        IEnumerable<SpotEvictionRate> rates,
        IEnumerable<GpuSku> skus,
        Dictionary<(string Sku, string Region, bool Spot), (string Source, string AsOf)>? provenance)
    {
        var parsed = RetailPricesParser.Parse(items);
        var rejected = parsed.Rejected.ToList();

        // Azure spells SKUs and regions in one case in the price sheet and another in Resource Graph (sku.name is lower case).
        var specs = skus.ToDictionary(s => s.Sku, StringComparer.OrdinalIgnoreCase);
        var bands = new Dictionary<(string, string), string>(SkuRegionComparer.Instance);
        foreach (var rate in rates)
        {
            bands[(rate.SkuName, rate.Location)] = rate.EvictionRate;
        }

        var offers = new List<GpuOffer>();
        foreach (var price in parsed.Prices)
        {
            if (!specs.TryGetValue(price.Sku, out var spec))
            {
                rejected.Add(new RejectedPriceItem(
                    new RetailPriceItem { ArmSkuName = price.Sku, ArmRegionName = price.Region, MeterName = price.MeterName, RetailPrice = price.PricePerHour },
                    $"no GPU spec for '{price.Sku}' (add it to gpu-skus.json)"));
                continue;
            }

            var band = NoEviction;
            var rate = 0.0;
            if (price.Spot)
            {
                band = bands.TryGetValue((price.Sku, price.Region), out var found) ? found : SpotEvictionRate.UnknownBand;
                rate = SpotEvictionRate.ToHourlyRate(band);
            }

            var (source, asOf) = provenance is not null && provenance.TryGetValue((price.Sku, price.Region, price.Spot), out var p)
                ? p
                : ($"Azure Retail Prices API, meter '{price.MeterName}'",
                   price.EffectiveStartDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "unknown");

            offers.Add(new GpuOffer(
                price.Sku, price.Region, spec.GpuType, spec.GpuCount, spec.GpuMemoryGb, price.Spot, price.PricePerHour,
                rate, band, source, asOf));
        }

        return new PriceCatalog(offers, rejected);
    }

    private static string ReadResource(string file)
    {
        var name = ResourcePrefix + file;
        using var stream = typeof(PriceCatalog).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"PriceCatalog: embedded resource '{name}' is missing from {typeof(PriceCatalog).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static Dictionary<(string Sku, string Region, bool Spot), (string Source, string AsOf)> ReadProvenance(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<(string, string, bool), (string, string)>();
        if (!document.RootElement.TryGetProperty("figures", out var figures))
        {
            return result;
        }

        foreach (var figure in figures.EnumerateArray())
        {
            var sku = figure.GetProperty("sku").GetString()!;
            var region = figure.GetProperty("region").GetString()!;
            var spot = string.Equals(figure.GetProperty("offer").GetString(), "spot", StringComparison.Ordinal);
            var source = figure.GetProperty("source").GetString()!;
            if (figure.TryGetProperty("derived", out var derived))
            {
                source += "; derived: " + derived.GetString();
            }

            result[(sku, region, spot)] = (source, figure.GetProperty("date").GetString()!);
        }

        return result;
    }

    private sealed class SkuRegionComparer : IEqualityComparer<(string Sku, string Region)>
    {
        public static readonly SkuRegionComparer Instance = new();

        public bool Equals((string Sku, string Region) x, (string Sku, string Region) y) =>
            StringComparer.OrdinalIgnoreCase.Equals(x.Sku, y.Sku) && StringComparer.OrdinalIgnoreCase.Equals(x.Region, y.Region);

        public int GetHashCode((string Sku, string Region) obj) =>
            HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Sku), StringComparer.OrdinalIgnoreCase.GetHashCode(obj.Region));
    }
}
