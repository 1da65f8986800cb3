using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Metrics;

/// <summary>The query parameters of <c>GET {resourceId}/providers/Microsoft.Insights/metrics</c> (metrics_API.json,
/// 2023-10-01): metricnames, timespan (<c>start/end</c>, <c>start/duration</c> or a duration ending now; default the
/// last hour), interval (ISO duration or FULL; default PT1M), aggregation (default: each metric's primary one),
/// <c>$filter</c> and top (default 10). A 400 names the bad parameter.</summary>
sealed partial record MetricQuery(string[] Names, DateTimeOffset Start, DateTimeOffset End, TimeSpan Grain, bool Full, string[]? Aggregations,
    IReadOnlyList<DimensionFilter> Filters, int Top)
{
    public static readonly string[] AggregationNames = ["average", "minimum", "maximum", "total", "count"];

    /// <summary>Parses the query; <paramref name="testGrain"/> (the emulator-only MetricsTimeGrain) replaces a PT1M interval
    /// when it is shorter.</summary>
    public static MetricQuery Parse(IQueryCollection query, DateTimeOffset now, TimeSpan testGrain)
    {
        ArgumentNullException.ThrowIfNull(query);
        string names = query["metricnames"].ToString();
        if (names.Length == 0)
        {
            throw Bad("metricnames is required (a comma-separated list of metric names).", "metricnames");
        }

        (DateTimeOffset start, DateTimeOffset end) = Timespan(query["timespan"].ToString(), now);
        string interval = query["interval"].ToString();
        bool full = string.Equals(interval, "FULL", StringComparison.OrdinalIgnoreCase);
        TimeSpan grain = full ? end - start : interval.Length == 0 ? TimeSpan.FromMinutes(1) : Duration(interval, "interval");
        if (!full && grain == TimeSpan.FromMinutes(1) && testGrain < grain)
        {
            grain = testGrain;
        }

        if (grain < TimeSpan.FromSeconds(1) || (!full && (end - start).Ticks / grain.Ticks > 10_000))
        {
            throw Bad($"interval '{interval}' makes too many or too small buckets for the timespan.", "interval");
        }

        string[]? aggregations = null;
        if (query["aggregation"].ToString() is { Length: > 0 } aggregation)
        {
            aggregations = [.. aggregation.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => a.ToLowerInvariant())];
            if (aggregations.FirstOrDefault(a => !AggregationNames.Contains(a, StringComparer.Ordinal)) is { } unknown)
            {
                throw Bad($"aggregation '{unknown}' is not one of Average, Minimum, Maximum, Total, Count.", "aggregation");
            }
        }

        int top = int.TryParse(query["top"], NumberStyles.None, CultureInfo.InvariantCulture, out int t) && t > 0 ? t : 10;
        return new MetricQuery(names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), start, end, grain, full, aggregations,
            ParseFilter(query["$filter"].ToString()), top);
    }

    /// <summary>Parses <c>A eq 'a1' and (B eq 'b1' or B eq 'b2') and C eq '*'</c>: clauses joined by <c>and</c>, each
    /// naming one dimension (<c>or</c> may not join two different dimensions); <c>'*'</c> means every value.</summary>
    public static List<DimensionFilter> ParseFilter(string filter)
    {
        var filters = new List<DimensionFilter>();
        if (string.IsNullOrWhiteSpace(filter))
        {
            return filters;
        }

        foreach (string clause in AndSplit().Split(filter))
        {
            string? dimension = null;
            var values = new List<string>();
            foreach (string term in OrSplit().Split(clause.Trim().Trim('(', ')')))
            {
                Match m = Term().Match(term.Trim().Trim('(', ')').Trim());
                if (!m.Success)
                {
                    throw Bad($"$filter term '{term.Trim()}' is not of the form name eq 'value'.", "$filter");
                }

                string name = m.Groups["name"].Value;
                if (dimension is not null && !string.Equals(dimension, name, StringComparison.OrdinalIgnoreCase))
                {
                    throw Bad($"$filter: 'or' cannot join two different dimensions ({dimension}, {name}).", "$filter");
                }

                dimension = name;
                values.Add(m.Groups["value"].Value.Replace("''", "'", StringComparison.Ordinal));
            }

            DimensionFilter? existing = filters.Find(f => string.Equals(f.Dimension, dimension, StringComparison.OrdinalIgnoreCase));
            if (existing is not null)
            {
                throw Bad($"$filter names the dimension '{dimension}' in two clauses.", "$filter");
            }

            filters.Add(new DimensionFilter(dimension!, values.Contains("*") ? null : values));
        }

        return filters;
    }

    static (DateTimeOffset Start, DateTimeOffset End) Timespan(string text, DateTimeOffset now)
    {
        if (text.Length == 0)
        {
            return (now - TimeSpan.FromHours(1), now);
        }

        string[] parts = text.Split('/');
        if (parts.Length == 1)
        {
            return (now - Duration(parts[0], "timespan"), now);
        }

        if (parts.Length != 2 || !DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset start))
        {
            throw Bad($"timespan '{text}' is not 'start/end', 'start/duration' or a duration.", "timespan");
        }

        DateTimeOffset end = DateTimeOffset.TryParse(parts[1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset e)
            ? e
            : start + Duration(parts[1], "timespan");
        return end > start ? (start, end) : throw Bad($"timespan '{text}' ends before it starts.", "timespan");
    }

    static TimeSpan Duration(string text, string parameter)
    {
        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw Bad($"{parameter} '{text}' is not an ISO 8601 duration such as PT1M.", parameter);
        }
    }

    static ArmException Bad(string message, string target) => new(StatusCodes.Status400BadRequest, new ArmError("BadRequest", message, target));

    [GeneratedRegex(@"\s+and\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AndSplit();

    [GeneratedRegex(@"\s+or\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OrSplit();

    [GeneratedRegex(@"^(?<name>[A-Za-z0-9_\.]+)\s+eq\s+'(?<value>(?:[^']|'')*)'$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Term();
}

/// <summary>A <c>$filter</c> clause: the dimension, and its values (null: every value, <c>'*'</c>).</summary>
sealed record DimensionFilter(string Dimension, IReadOnlyList<string>? Values);
