using System.ComponentModel;
using System.Globalization;
using GenAiServerless.Training.Prices;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench.Spot;

/// <summary><c>spot</c>: expected cost and wall time of one training job on demand, on naive spot and under our policy.</summary>
public sealed class SpotCommand : Command<SpotCommand.Settings>
{
    // The issue's scenario; the checkpoint, restart and budget figures are also TrainingOptions' defaults.
    const double JobHours = 4;
    const double CheckpointMinutes = 15;
    const double RestartMinutes = 5;
    const int RestartBudget = 3;

    // The issue's targets for our policy, in the band it names.
    const string TargetBand = "5-10";
    const double TargetCostRatio = 0.35;
    const double TargetWallRatio = 1.15;

    static readonly string[] Bands = ["0-5", "5-10", "10-15", "15-20", "20+"];

    static readonly Reading[] Readings =
    [
        new("catalog", "midpoint = share of VMs evicted over 28 days (SpotEvictionRate.ToHourlyRate, what the selector uses)", SpotEvictionRate.ToHourlyRate),
        new("stress", "midpoint = chance of an eviction per hour (hazard -ln(1-p) per hour)", band => -Math.Log(1.0 - (SpotEvictionRate.BandMidpointPercent(band) / 100.0))),
    ];

    public sealed class Settings : BenchSettings
    {
        [CommandOption("--runs <N>")]
        [Description("Simulated runs per band, reading and strategy.")]
        [DefaultValue(20_000)]
        public int Runs { get; init; } = 20_000;

        [CommandOption("--seed <N>")]
        [Description("Seed of the eviction times; every strategy sees the same stream.")]
        [DefaultValue(42)]
        public int Seed { get; init; } = 42;

        [CommandOption("--deadline <HOURS>")]
        [Description("Wall-clock deadline of the job; our policy falls back to on-demand to keep it.")]
        [DefaultValue(6.0)]
        public double DeadlineHours { get; init; } = 6.0;

        [CommandOption("--sku <SKU>")]
        [Description("VM size whose spot and on-demand prices are used.")]
        [DefaultValue("Standard_NC24ads_A100_v4")]
        public string Sku { get; init; } = "Standard_NC24ads_A100_v4";

        [CommandOption("--region <REGION>")]
        [Description("Region with both a spot and an on-demand price for the SKU.")]
        [DefaultValue("eastus")]
        public string Region { get; init; } = "eastus";

        public override ValidationResult Validate() =>
            Runs < 100 ? ValidationResult.Error($"--runs must be at least 100 (was {Runs})")
            : !(DeadlineHours > 0) ? ValidationResult.Error($"--deadline must be a positive number of hours (was {DeadlineHours})")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var catalog = PriceCatalog.LoadSnapshot();
        var (spot, onDemand) = FindOffers(catalog, settings.Sku, settings.Region);
        var requirements = new ComputeRequirements(
            GpuType: spot.GpuType, MinGpuMemoryGb: spot.GpuMemoryGb, GpuCount: spot.GpuCount, AllowedRegions: [spot.Region],
            ExpectedDuration: TimeSpan.FromHours(JobHours), CheckpointInterval: TimeSpan.FromMinutes(CheckpointMinutes), RestartOverhead: TimeSpan.FromMinutes(RestartMinutes),
            Deadline: TimeSpan.FromHours(settings.DeadlineHours),
            BudgetUsd: null, AllowSpot: true);
        var scenario = new SpotScenario(requirements, RestartBudget, (double)spot.PricePerHour, (double)onDemand.PricePerHour);
        var choice = ComputeSelector.Choose(catalog, requirements);

        var readings = Readings.Select(reading => Simulate(reading, scenario, settings)).ToList();
        var report = new SpotReport(
            "spot",
            new ScenarioReport(spot.Sku, spot.Region, spot.EvictionBand, scenario.SpotPricePerHour, scenario.OnDemandPricePerHour,
                scenario.WorkHours, requirements.CheckpointInterval.TotalMinutes, requirements.RestartOverhead.TotalMinutes, scenario.DeadlineHours,
                scenario.RestartBudget, settings.Runs, settings.Seed, choice.Reason),
            readings,
            readings.SelectMany(Targets).ToList());

        if (settings.Json)
        {
            BenchOutput.WriteJson(report);
        }
        else
        {
            Print(report);
        }

        return 0;
    }

    static (GpuOffer Spot, GpuOffer OnDemand) FindOffers(PriceCatalog catalog, string sku, string region)
    {
        var offers = catalog.Offers
            .Where(o => string.Equals(o.Sku, sku, StringComparison.OrdinalIgnoreCase) && string.Equals(o.Region, region, StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (offers.FirstOrDefault(o => o.Spot) is { } spot && offers.FirstOrDefault(o => !o.Spot) is { } onDemand)
        {
            return (spot, onDemand);
        }

        var both = catalog.Offers
            .Where(o => string.Equals(o.Sku, sku, StringComparison.OrdinalIgnoreCase))
            .GroupBy(o => o.Region, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Any(o => o.Spot) && g.Any(o => !o.Spot))
            .Select(g => g.Key)
            .Order(StringComparer.Ordinal);
        throw new InvalidOperationException(
            $"spot: the price snapshot has no spot and on-demand pair for '{sku}' in '{region}'; regions with both: [{string.Join(", ", both)}].");
    }

    static ReadingReport Simulate(Reading reading, SpotScenario scenario, Settings settings)
    {
        var bands = new List<BandReport>();
        foreach (var band in Bands)
        {
            var rate = reading.Rate(band);
            BenchOutput.Progress(string.Create(CultureInfo.InvariantCulture, $"spot: {reading.Name} reading, band {band} ({rate:0.######}/h), {settings.Runs} runs per strategy"));

            // The same seed for every strategy: they face the same eviction stream, so their difference is the policy's.
            StrategyFigures Run(Func<Random, RunOutcome> strategy)
            {
                var random = new Random(settings.Seed);
                return StrategyFigures.Simulate(settings.Runs, scenario.DeadlineHours, () => strategy(random));
            }

            var onDemand = Run(_ => SpotStrategies.OnDemand(scenario));
            var naive = Run(random => SpotStrategies.NaiveSpot(scenario, rate, random));
            var policy = Run(random => SpotStrategies.Policy(scenario, rate, random));
            bands.Add(new BandReport(band, rate, onDemand, naive, policy, new BandRatios(
                policy.ExpectedCostUsd / onDemand.ExpectedCostUsd,
                policy.ExpectedWallHours / onDemand.ExpectedWallHours,
                naive.ExpectedCostUsd / onDemand.ExpectedCostUsd,
                naive.ExpectedWallHours / onDemand.ExpectedWallHours)));
        }

        return new ReadingReport(reading.Name, reading.Meaning, bands);
    }

    static IEnumerable<TargetCheck> Targets(ReadingReport reading)
    {
        var target = reading.Bands.Single(b => b.Band == TargetBand);
        yield return new TargetCheck(reading.Reading, $"policy cost / on-demand cost, band {TargetBand}", TargetCostRatio,
            target.Ratios.PolicyCostVsOnDemand, target.Ratios.PolicyCostVsOnDemand <= TargetCostRatio);
        yield return new TargetCheck(reading.Reading, $"policy wall time / on-demand wall time, band {TargetBand}", TargetWallRatio,
            target.Ratios.PolicyWallVsOnDemand, target.Ratios.PolicyWallVsOnDemand <= TargetWallRatio);
        var missed = reading.Bands.Sum(b => b.Policy.MissedDeadlines);
        yield return new TargetCheck(reading.Reading, "policy missed deadlines, all bands", 0, missed, missed == 0);
    }

    static void Print(SpotReport report)
    {
        var console = BenchOutput.Human;
        var s = report.Scenario;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"spot: {s.WorkHours:0.##} h job on {s.Sku} in {s.Region} (snapshot band {s.RegionBand}): spot ${s.SpotPricePerHour}/h, on-demand ${s.OnDemandPricePerHour}/h; " +
            $"checkpoint every {s.CheckpointMinutes:0.##} min, restart {s.RestartMinutes:0.##} min, deadline {s.DeadlineHours:0.##} h, restart budget {s.RestartBudget}; {s.Runs} runs, seed {s.Seed}."));
        console.WriteLine($"ComputeSelector for the same job: {s.SelectorChoice}");

        foreach (var reading in report.Readings)
        {
            var table = new Table().Title($"{reading.Reading} reading: band {reading.Meaning}");
            table.AddColumns("Band", "λ /h", "Strategy", "Cost $", "Wall h", "p95 h", $"Missed >{s.DeadlineHours:0.#} h", "Evictions", "Fell back: budget / deadline", "Cost / OD", "Wall / OD");
            foreach (var column in table.Columns.Skip(1))
            {
                column.RightAligned();
            }

            foreach (var band in reading.Bands)
            {
                AddRow(table, band.Band, Figure(band.EvictionRatePerHour, "0.######"), "on-demand", band.OnDemand, band.OnDemand);
                AddRow(table, string.Empty, string.Empty, "naive spot", band.NaiveSpot, band.OnDemand);
                AddRow(table, string.Empty, string.Empty, "our policy", band.Policy, band.OnDemand);
                if (band != reading.Bands[^1])
                {
                    table.AddEmptyRow();
                }
            }

            console.Write(table);
        }

        var targets = new Table().Title("Targets of the issue");
        targets.AddColumns("Reading", "Target", "Value", "Limit", "Result");
        foreach (var t in report.Targets)
        {
            targets.AddRow(t.Reading, t.Target, Figure(t.Value, "0.000"), Figure(t.Limit, "0.##"), t.Met ? "[green]MET[/]" : "[red]MISSED[/]");
        }

        console.Write(targets);
    }

    static void AddRow(Table table, string band, string rate, string strategy, StrategyFigures f, StrategyFigures onDemand) =>
        table.AddRow(
            band, rate, strategy,
            Figure(f.ExpectedCostUsd, "0.00"), Figure(f.ExpectedWallHours, "0.000"), Figure(f.P95WallHours, "0.000"),
            f.MissedDeadlines.ToString(CultureInfo.InvariantCulture), Figure(f.MeanEvictions, "0.000"),
            string.Create(CultureInfo.InvariantCulture, $"{f.FellBackOnRestartBudget} / {f.FellBackOnDeadline}"),
            Figure(f.ExpectedCostUsd / onDemand.ExpectedCostUsd, "0.000"), Figure(f.ExpectedWallHours / onDemand.ExpectedWallHours, "0.000"));

    static string Figure(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    sealed record Reading(string Name, string Meaning, Func<string, double> Rate);
}

internal sealed record SpotReport(string Benchmark, ScenarioReport Scenario, IReadOnlyList<ReadingReport> Readings, IReadOnlyList<TargetCheck> Targets);

internal sealed record ScenarioReport(
    string Sku, string Region, string RegionBand, double SpotPricePerHour, double OnDemandPricePerHour, double WorkHours,
    double CheckpointMinutes, double RestartMinutes, double DeadlineHours, int RestartBudget, int Runs, int Seed, string SelectorChoice);

internal sealed record ReadingReport(string Reading, string Meaning, IReadOnlyList<BandReport> Bands);

internal sealed record BandReport(string Band, double EvictionRatePerHour, StrategyFigures OnDemand, StrategyFigures NaiveSpot, StrategyFigures Policy, BandRatios Ratios);

internal sealed record BandRatios(double PolicyCostVsOnDemand, double PolicyWallVsOnDemand, double NaiveCostVsOnDemand, double NaiveWallVsOnDemand);

internal sealed record TargetCheck(string Reading, string Target, double Limit, double Value, bool Met);
