using System.Globalization;

namespace GenAiServerless.Training.Prices;

/// <summary>Chooses the offer with the least expected cost that fits the hardware, residency, deadline and budget.</summary>
/// <remarks>
/// Pure and deterministic: the same catalog and requirements give the same choice, so it may run in an activity whose
/// result an orchestrator replays.
/// </remarks>
public static class ComputeSelector
{
    /// <summary>How many runners-up <see cref="ComputeChoice.Alternatives"/> lists.</summary>
    public const int AlternativeCount = 5;

    /// <summary>Picks the cheapest expected offer; ties go to the shorter wall time, then region, then SKU (ordinal).</summary>
    /// <exception cref="NoComputeFitsException">No offer passes a filter; the message says which one emptied the list.</exception>
    public static ComputeChoice Choose(PriceCatalog catalog, ComputeRequirements req)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(req);
        req.Validate();

        IReadOnlyList<GpuOffer> offers = catalog.Offers;
        if (offers.Count == 0)
        {
            throw new NoComputeFitsException("The price catalog has no offers.");
        }

        if (req.GpuType is { } gpuType)
        {
            offers = Narrow(offers, o => string.Equals(o.GpuType, gpuType, StringComparison.OrdinalIgnoreCase),
                () => $"No offer has GPU type '{gpuType}'; the catalog has {List(catalog.Offers.Select(o => o.GpuType))}.");
        }

        var typed = offers;
        offers = Narrow(offers, o => o.GpuMemoryGb >= req.MinGpuMemoryGb,
            () => $"No {Describe(req.GpuType)} offer has at least {req.MinGpuMemoryGb} GB per GPU; the most is {typed.Max(o => o.GpuMemoryGb)} GB.");

        var sized = offers;
        offers = Narrow(offers, o => o.GpuCount == req.GpuCount,
            () => $"No {Describe(req.GpuType)} offer with at least {req.MinGpuMemoryGb} GB per GPU has exactly {req.GpuCount} GPU(s); available counts are {List(sized.Select(o => o.GpuCount.ToString(CultureInfo.InvariantCulture)))}.");

        var regions = req.AllowedRegions ?? [];
        if (regions.Count > 0)
        {
            var counted = offers;
            offers = Narrow(offers, o => regions.Contains(o.Region, StringComparer.OrdinalIgnoreCase),
                () => $"No offer matching the hardware is in the allowed regions {List(regions)}; it is offered in {List(counted.Select(o => o.Region))}.");
        }

        if (!req.AllowSpot)
        {
            offers = Narrow(offers, o => !o.Spot,
                () => "Only spot offers match the hardware and regions, and the requirements do not allow spot.");
        }

        var lostHoursPerEviction = LostHoursPerEviction(req);
        var estimated = offers
            .Select(o => EstimateRun(o, req.ExpectedDuration.TotalHours, lostHoursPerEviction))
            .Where(e => e is not null)
            .Select(e => e!)
            .ToList();
        if (estimated.Count == 0)
        {
            throw new NoComputeFitsException(
                $"Every matching offer is spot and evicted so often that a run never completes in expectation ({lostHoursPerEviction:0.##} h lost per eviction).");
        }

        var deadlineNote = string.Empty;
        if (req.Deadline?.TotalHours is { } deadline)
        {
            var fastest = estimated.MinBy(e => e.WallHours)!;
            var spotBefore = estimated.Count(e => e.Offer.Spot);
            estimated = estimated.Where(e => e.WallHours <= deadline).ToList();
            if (estimated.Count == 0)
            {
                throw new NoComputeFitsException(string.Create(CultureInfo.InvariantCulture,
                    $"No offer meets the deadline of {deadline:0.##} h; the fastest is {Name(fastest.Offer)} at {fastest.WallHours:0.##} h expected."));
            }

            var spotDropped = spotBefore - estimated.Count(e => e.Offer.Spot);
            if (spotDropped > 0)
            {
                deadlineNote = string.Create(CultureInfo.InvariantCulture,
                    $" {spotDropped} spot offer(s) were excluded because evictions would push them past the {deadline:0.##} h deadline.");
            }
        }

        var ranked = estimated
            .OrderBy(e => e.CostUsd)
            .ThenBy(e => e.WallHours)
            .ThenBy(e => e.Offer.Region, StringComparer.Ordinal)
            .ThenBy(e => e.Offer.Sku, StringComparer.Ordinal)
            .ThenBy(e => e.Offer.Spot)
            .ToList();

        if (req.BudgetUsd is { } budget && ranked[0].CostUsd > budget)
        {
            var cheapest = ranked[0];
            throw new NoComputeFitsException(string.Create(CultureInfo.InvariantCulture,
                $"No offer fits the budget of ${budget:0.00}: the cheapest, {Name(cheapest.Offer)}, is expected to cost ${Math.Round(cheapest.CostUsd, 2):0.00} ({cheapest.WallHours:0.##} h at ${cheapest.Offer.PricePerHour}/h)."));
        }

        var best = ranked[0];
        var alternatives = ranked
            .Skip(1)
            .Take(AlternativeCount)
            .Select((e, i) => new RankedOffer(i + 2, e.Offer, Money(e.CostUsd), TimeSpan.FromHours(e.WallHours), e.Evictions))
            .ToList();

        var reason = string.Create(CultureInfo.InvariantCulture,
            $"Least expected cost of {ranked.Count} offer(s) that fit: {Name(best.Offer)} at ${best.Offer.PricePerHour}/h for {best.WallHours:0.###} h expected ({EvictionText(best)}) = ${Money(best.CostUsd)}.{deadlineNote}");
        return new ComputeChoice(best.Offer, Money(best.CostUsd), TimeSpan.FromHours(best.WallHours), alternatives, reason);
    }

    /// <summary>
    /// Expected wall-clock hours of a run of <paramref name="expectedHours"/> on an offer evicted at
    /// <paramref name="evictionRatePerHour"/>, each eviction costing <paramref name="lostHoursPerEviction"/>.
    /// </summary>
    /// <remarks>
    /// Evictions arrive at rate λ over the whole wall time W (the VM is exposed while it redoes lost work too), so
    /// W = E + λ·W·L, whose solution is W = E / (1 − λ·L). When λ·L ≥ 1 work is lost as fast as it is done: no finite W.
    /// </remarks>
    public static double? ExpectedWallHours(double expectedHours, double evictionRatePerHour, double lostHoursPerEviction)
    {
        var lossShare = evictionRatePerHour * lostHoursPerEviction;
        return lossShare >= 1.0 ? null : expectedHours / (1.0 - lossShare);
    }

    /// <summary>
    /// Work lost per eviction: on average half a checkpoint interval (at most half the run, which is what an eviction
    /// loses when the run never checkpoints) plus the restart overhead.
    /// </summary>
    public static double LostHoursPerEviction(ComputeRequirements req)
    {
        ArgumentNullException.ThrowIfNull(req);
        var interval = Math.Min(req.CheckpointInterval.TotalHours, req.ExpectedDuration.TotalHours);
        return (interval / 2.0) + req.RestartOverhead.TotalHours;
    }

    private static Estimate? EstimateRun(GpuOffer offer, double expectedHours, double lostHoursPerEviction)
    {
        var rate = offer.Spot ? offer.EvictionRatePerHour : 0.0;
        if (ExpectedWallHours(expectedHours, rate, lostHoursPerEviction) is not { } wall)
        {
            return null;
        }

        // Restart overhead and redone work are billed: the VM runs through both.
        return new Estimate(offer, wall, rate * wall, offer.PricePerHour * (decimal)wall);
    }

    private static List<GpuOffer> Narrow(IReadOnlyList<GpuOffer> offers, Func<GpuOffer, bool> keep, Func<string> whyEmpty)
    {
        var kept = offers.Where(keep).ToList();
        return kept.Count > 0 ? kept : throw new NoComputeFitsException(whyEmpty());
    }

    private static decimal Money(decimal usd) => Math.Round(usd, 4, MidpointRounding.AwayFromZero);

    private static string Name(GpuOffer offer) =>
        $"{offer.Sku} in {offer.Region} ({(offer.Spot ? "spot, eviction band " + offer.EvictionBand : "on-demand")})";

    private static string EvictionText(Estimate e) =>
        e.Offer.Spot ? string.Create(CultureInfo.InvariantCulture, $"{e.Evictions:0.####} evictions expected") : "on-demand, no evictions";

    private static string Describe(string? gpuType) => gpuType is null ? "GPU" : $"'{gpuType}'";

    private static string List(IEnumerable<string> values) =>
        "[" + string.Join(", ", values.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)) + "]";

    private sealed record Estimate(GpuOffer Offer, double WallHours, double Evictions, decimal CostUsd);
}
