namespace GenAiServerless.Training.Prices;

/// <summary>One observed spot price of a VM size in a region.</summary>
public sealed record SpotPricePoint(DateTimeOffset EffectiveDate, decimal PricePerHour);

/// <summary>Input of <see cref="PlanPriceWindow"/>: the chosen offer and how long the run may wait for a cheaper hour.</summary>
public sealed record PriceWindowQuery(string Sku, string Region, decimal CurrentPricePerHour, TimeSpan MaxWait, double MinSaving);

/// <summary>When to submit: now, or the start of a cheaper hour within the allowed wait.</summary>
public sealed record PriceWindow(DateTime StartUtc, decimal ExpectedPricePerHour, string Reason);

/// <summary>Plans the off-peak wait: the price of each hour of the week, averaged over the history, picks the
/// cheapest hour within the allowed wait; the run waits for it only if it saves at least the minimum share.</summary>
public static class PriceWindowPlanner
{
    public static PriceWindow Plan(IReadOnlyList<SpotPricePoint> history, PriceWindowQuery query, DateTime nowUtc)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(query);
        if (history.Count == 0 || query.MaxWait <= TimeSpan.Zero)
        {
            return new PriceWindow(nowUtc, query.CurrentPricePerHour, history.Count == 0 ? "no spot price history: submitting now" : "waiting is off: submitting now");
        }

        Dictionary<int, decimal> byHourOfWeek = history
            .GroupBy(p => HourOfWeek(p.EffectiveDate.UtcDateTime))
            .ToDictionary(g => g.Key, g => g.Average(p => p.PricePerHour));
        DateTime bestStart = nowUtc;
        decimal best = query.CurrentPricePerHour;
        DateTime firstHour = new(nowUtc.Year, nowUtc.Month, nowUtc.Day, nowUtc.Hour, 0, 0, DateTimeKind.Utc);
        for (int h = 1; h <= (int)Math.Floor(query.MaxWait.TotalHours); h++)
        {
            DateTime start = firstHour.AddHours(h);
            if (byHourOfWeek.TryGetValue(HourOfWeek(start), out decimal expected) && expected < best)
            {
                (best, bestStart) = (expected, start);
            }
        }

        decimal saving = query.CurrentPricePerHour == 0 ? 0 : (query.CurrentPricePerHour - best) / query.CurrentPricePerHour;
        return saving >= (decimal)query.MinSaving && bestStart > nowUtc
            ? new PriceWindow(bestStart, best, $"waiting until {bestStart:u} for ${best:0.####}/h ({saving:P0} below ${query.CurrentPricePerHour:0.####}/h now)")
            : new PriceWindow(nowUtc, query.CurrentPricePerHour, $"no hour in the next {query.MaxWait.TotalHours:0.#} h is {query.MinSaving:P0} cheaper: submitting now");
    }

    static int HourOfWeek(DateTime utc) => ((int)utc.DayOfWeek * 24) + utc.Hour;
}
