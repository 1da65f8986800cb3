namespace GenAiServerless.Training.Prices;

/// <summary>What a training run needs from a VM; travels in the durable orchestration input, so it is plain JSON.</summary>
/// <param name="GpuType">GPU model ("T4", "A100", "H100-NVL", "H100"), case-insensitive; null accepts any.</param>
/// <param name="MinGpuMemoryGb">Least memory per GPU, in GB.</param>
/// <param name="GpuCount">GPUs the job uses on one VM; offers must carry exactly this many.</param>
/// <param name="AllowedRegions">Regions the data may be processed in (residency); empty accepts any.</param>
/// <param name="ExpectedDuration">Compute time the run needs without interruption.</param>
/// <param name="CheckpointInterval">Time between checkpoints; an eviction loses on average half of one.</param>
/// <param name="RestartOverhead">Time from an eviction to training again (allocation, image, data, checkpoint load).</param>
/// <param name="Deadline">Most wall-clock time the run may take; null for none.</param>
/// <param name="BudgetUsd">Most the run may be expected to cost; null for none.</param>
/// <param name="AllowSpot">Whether spot offers may be chosen.</param>
public sealed record ComputeRequirements(
    string? GpuType,
    int MinGpuMemoryGb,
    int GpuCount,
    IReadOnlyList<string> AllowedRegions,
    TimeSpan ExpectedDuration,
    TimeSpan CheckpointInterval,
    TimeSpan RestartOverhead,
    TimeSpan? Deadline,
    decimal? BudgetUsd,
    bool AllowSpot)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the field when a value cannot describe a run.</summary>
    public void Validate()
    {
        Require(GpuCount >= 1, nameof(GpuCount), $"must be at least 1 (was {GpuCount})");
        Require(MinGpuMemoryGb >= 0, nameof(MinGpuMemoryGb), $"must not be negative (was {MinGpuMemoryGb})");
        Require(ExpectedDuration > TimeSpan.Zero, nameof(ExpectedDuration), $"must be positive (was {ExpectedDuration})");
        Require(CheckpointInterval >= TimeSpan.Zero, nameof(CheckpointInterval), $"must not be negative (was {CheckpointInterval})");
        Require(RestartOverhead >= TimeSpan.Zero, nameof(RestartOverhead), $"must not be negative (was {RestartOverhead})");
        Require(Deadline is null || Deadline > TimeSpan.Zero, nameof(Deadline), $"must be positive when set (was {Deadline})");
        Require(BudgetUsd is null || BudgetUsd > 0, nameof(BudgetUsd), $"must be positive when set (was {BudgetUsd})");
        Require(AllowedRegions is null || AllowedRegions.All(r => !string.IsNullOrWhiteSpace(r)), nameof(AllowedRegions), "must not contain empty region names");
    }

    private static void Require(bool condition, string field, string reason)
    {
        if (!condition)
        {
            throw new ArgumentException($"{nameof(ComputeRequirements)}.{field} {reason}.", field);
        }
    }
}

/// <summary>An offer with what it is expected to cost and take for one run.</summary>
public sealed record RankedOffer(int Rank, GpuOffer Offer, decimal ExpectedCostUsd, TimeSpan ExpectedWallTime, double ExpectedEvictions);

/// <summary>The chosen offer, its expected cost and wall time, the runners-up and why.</summary>
public sealed record ComputeChoice(
    GpuOffer Offer,
    decimal ExpectedCostUsd,
    TimeSpan ExpectedWallTime,
    IReadOnlyList<RankedOffer> Alternatives,
    string Reason);

/// <summary>Thrown when no offer satisfies the requirements; the message names the filter or limit that ruled them out.</summary>
public sealed class NoComputeFitsException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public NoComputeFitsException()
        : base("No compute offer fits the requirements.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NoComputeFitsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NoComputeFitsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
