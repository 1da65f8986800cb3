using GenAiServerless.Training.Prices;

namespace GenAiServerless.Bench.Spot;

/// <summary>One job and its prices: work to do, checkpoint cadence, restart cost, deadline and the restart budget.</summary>
/// <param name="Requirements">The job as the selector sees it; its loss-per-eviction model paces the deadline check.</param>
internal sealed record SpotScenario(
    ComputeRequirements Requirements,
    int RestartBudget,
    double SpotPricePerHour,
    double OnDemandPricePerHour)
{
    public double WorkHours => Requirements.ExpectedDuration.TotalHours;

    public double CheckpointHours => Requirements.CheckpointInterval.TotalHours;

    public double RestartHours => Requirements.RestartOverhead.TotalHours;

    public double DeadlineHours => Requirements.Deadline?.TotalHours ?? double.PositiveInfinity;
}

/// <summary>Why a run left spot for on-demand, if it did.</summary>
internal enum Fallback
{
    None,
    RestartBudget,
    Deadline,
}

/// <summary>What one simulated run took and cost.</summary>
internal readonly record struct RunOutcome(double WallHours, double CostUsd, int Evictions, Fallback Fallback = Fallback.None);

/// <summary>
/// The three ways to run the job. Evictions are a Poisson process at <c>rate</c> per hour while on spot, so the time
/// to the next one is exponential. A VM is exposed (and billed) through its restart overhead as well as its work, the
/// same assumption <see cref="ComputeSelector.ExpectedWallHours"/> makes. Checkpoints are taken after every
/// <see cref="SpotScenario.CheckpointHours"/> of work and cost no time.
/// </summary>
internal static class SpotStrategies
{
    public static RunOutcome OnDemand(SpotScenario s) =>
        new(s.WorkHours, s.WorkHours * s.OnDemandPricePerHour, Evictions: 0);

    /// <summary>Spot with no checkpoints: every eviction loses all work and pays the restart overhead again.</summary>
    public static RunOutcome NaiveSpot(SpotScenario s, double rate, Random random)
    {
        double wall = 0;
        double overhead = 0;
        var evictions = 0;
        while (true)
        {
            var segment = overhead + s.WorkHours;
            var evictedAfter = NextEviction(random, rate);
            if (evictedAfter >= segment)
            {
                wall += segment;
                return new(wall, wall * s.SpotPricePerHour, evictions);
            }

            wall += evictedAfter;
            evictions++;
            overhead = s.RestartHours;
        }
    }

    /// <summary>
    /// Our policy: spot with checkpoints; after <see cref="SpotScenario.RestartBudget"/> evictions, or as soon as the
    /// remaining work at spot's expected pace would finish after the deadline, the rest runs on demand.
    /// </summary>
    public static RunOutcome Policy(SpotScenario s, double rate, Random random)
    {
        var lostPerEviction = ComputeSelector.LostHoursPerEviction(s.Requirements);
        double wall = 0;
        double spotHours = 0;
        double done = 0;
        double overhead = 0;
        var evictions = 0;
        while (true)
        {
            var remaining = s.WorkHours - done;
            var expectedOnSpot = ComputeSelector.ExpectedWallHours(overhead + remaining, rate, lostPerEviction);
            var fallback = evictions >= s.RestartBudget ? Fallback.RestartBudget
                : expectedOnSpot is null || wall + expectedOnSpot > s.DeadlineHours ? Fallback.Deadline
                : Fallback.None;
            if (fallback != Fallback.None)
            {
                var onDemandHours = overhead + remaining;
                return new(wall + onDemandHours, (spotHours * s.SpotPricePerHour) + (onDemandHours * s.OnDemandPricePerHour), evictions, fallback);
            }

            var segment = overhead + remaining;
            var evictedAfter = NextEviction(random, rate);
            if (evictedAfter >= segment)
            {
                wall += segment;
                spotHours += segment;
                return new(wall, spotHours * s.SpotPricePerHour, evictions);
            }

            wall += evictedAfter;
            spotHours += evictedAfter;
            evictions++;

            // Work resumes from the last checkpoint: whole intervals of work done since the restart are kept.
            var worked = Math.Max(0, evictedAfter - overhead);
            done += Math.Floor(worked / s.CheckpointHours) * s.CheckpointHours;
            overhead = s.RestartHours;
        }
    }

    static double NextEviction(Random random, double rate) =>
        rate <= 0 ? double.PositiveInfinity : -Math.Log(1.0 - random.NextDouble()) / rate;
}

/// <summary>Mean cost and wall time, p95 wall time, deadline misses, evictions and fallbacks (by cause) over many runs.</summary>
internal sealed record StrategyFigures(
    double ExpectedCostUsd,
    double ExpectedWallHours,
    double P95WallHours,
    int MissedDeadlines,
    double MeanEvictions,
    int FellBackOnRestartBudget,
    int FellBackOnDeadline)
{
    public static StrategyFigures Simulate(int runs, double deadlineHours, Func<RunOutcome> run)
    {
        var walls = new double[runs];
        double cost = 0;
        double evictions = 0;
        var missed = 0;
        var onBudget = 0;
        var onDeadline = 0;
        for (var i = 0; i < runs; i++)
        {
            var outcome = run();
            walls[i] = outcome.WallHours;
            cost += outcome.CostUsd;
            evictions += outcome.Evictions;
            missed += outcome.WallHours > deadlineHours ? 1 : 0;
            onBudget += outcome.Fallback == Fallback.RestartBudget ? 1 : 0;
            onDeadline += outcome.Fallback == Fallback.Deadline ? 1 : 0;
        }

        Array.Sort(walls);
        var p95 = walls[Math.Min(runs - 1, (int)Math.Ceiling(0.95 * runs) - 1)];
        return new(cost / runs, walls.Average(), p95, missed, evictions / runs, onBudget, onDeadline);
    }
}
