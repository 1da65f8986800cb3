using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace GenAiServerless.Pipeline;

/// <summary>Which models the pipeline serves. Bound from the <c>Pipeline</c> section.</summary>
public sealed partial class PipelineOptions
{
    /// <summary>Model names: lower-case letters, digits and dashes (they become container paths, job ids and endpoint names).</summary>
    [Required, MinLength(1)]
    public List<string> Models { get; set; } = [];

    public bool IsKnown(string model) => Models.Contains(model, StringComparer.Ordinal);

    /// <summary>The names that break the naming rule, for the start-up check.</summary>
    public IEnumerable<string> InvalidNames() => Models.Where(m => !ModelName().IsMatch(m));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,30}$")]
    public static partial Regex ModelName();
}

/// <summary>How dropped data is curated. Bound from <c>Data</c>.</summary>
public sealed class DataOptions
{
    [Range(0.0, 0.5)]
    public double ValidationFraction { get; set; } = 0.1;

    [Range(0.0, 0.5)]
    public double TestFraction { get; set; } = 0.1;

    [Range(16, 1_000_000)]
    public int MaxRecordChars { get; set; } = 20_000;

    [Range(100, 1_000_000)]
    public int ShardRecords { get; set; } = 5_000;

    /// <summary>PII redaction and quality filters: ShortRecords (default), Documents or Off.</summary>
    [Required]
    public string QualityPreset { get; set; } = DataQualityPresets.ShortRecords;

    /// <summary>Plain JSONL and CSV files larger than this are cut into byte-range shards curated in parallel.</summary>
    [Range(1024L * 1024, 4L * 1024 * 1024 * 1024)]
    public long ShardBytes { get; set; } = DataPolicy.DefaultShardBytes;

    /// <summary>Also write every curated JSONL file as Parquet beside it.</summary>
    public bool ParquetOutput { get; set; }

    /// <summary>Per-model settings, bound from <c>Data:Models:{model}</c>; anything left out takes the value above.</summary>
    public Dictionary<string, ModelDataOptions> Models { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One model's record schema, input columns and quality preset. Bound from <c>Data:Models:{model}</c>.</summary>
public sealed class ModelDataOptions
{
    /// <summary>ShortRecords, Documents or Off; null = <see cref="DataOptions.QualityPreset"/>.</summary>
    public string? QualityPreset { get; set; }

    /// <summary>Accepted record shapes: any of Text, PromptResponse, Messages; empty = all.</summary>
    public List<string> Shapes { get; set; } = [];

    /// <summary>Optional fields kept with each curated record (e.g. lang, source).</summary>
    public List<string> MetadataFields { get; set; } = [];

    /// <summary>The largest record in bytes of its JSON; null = 1 MiB.</summary>
    [Range(16, 64 * 1024 * 1024)]
    public int? MaxRecordBytes { get; set; }

    /// <summary>The largest record in characters of normalised text; null = <see cref="DataOptions.MaxRecordChars"/>.</summary>
    [Range(16, 10_000_000)]
    public int? MaxRecordChars { get; set; }

    /// <summary>CSV/Parquet: the column holding the text (or set <see cref="PromptColumn"/> and <see cref="ResponseColumn"/>).</summary>
    public string? TextColumn { get; set; }

    public string? PromptColumn { get; set; }

    public string? ResponseColumn { get; set; }

    /// <summary>CSV/Parquet: the column holding the record id; <c>id</c> by default.</summary>
    public string? IdColumn { get; set; }

    /// <summary>CSV: the field separator (one character); "auto" to detect it. A comma by default.</summary>
    public string? CsvSeparator { get; set; }

    /// <summary>Also write Parquet beside the JSONL; null = <see cref="DataOptions.ParquetOutput"/>.</summary>
    public bool? ParquetOutput { get; set; }
}

/// <summary>How training runs. Bound from <c>Training</c>.</summary>
public sealed class TrainingOptions
{
    /// <summary>GPU type wanted (T4, A100, H100), or empty for any.</summary>
    public string? GpuType { get; set; } = "T4";

    [Range(0, 1024)]
    public int MinGpuMemoryGb { get; set; } = 16;

    [Range(1, 64)]
    public int GpuCount { get; set; } = 1;

    /// <summary>Regions the data may be processed in (data residency); empty means any.</summary>
    public List<string> AllowedRegions { get; set; } = [];

    [Range(0.01, 1000)]
    public double ExpectedHours { get; set; } = 1;

    [Range(1, 600)]
    public double CheckpointIntervalMinutes { get; set; } = 15;

    [Range(0, 120)]
    public double RestartOverheadMinutes { get; set; } = 5;

    public double? DeadlineHours { get; set; }

    public decimal? BudgetUsd { get; set; } = 50m;

    public bool AllowSpot { get; set; } = true;

    [Range(0, 50)]
    public int RestartBudget { get; set; } = 3;

    /// <summary>Past the restart budget, or when spot can no longer meet the deadline, run on dedicated capacity
    /// instead of failing.</summary>
    public bool FallbackToDedicated { get; set; } = true;

    /// <summary>Off-peak: wait up to this long (durable timer) for an hour whose spot price history is cheaper; 0 = never.</summary>
    [Range(0, 72)]
    public double MaxPriceWaitHours { get; set; }

    /// <summary>The least saving (share of the current price) worth waiting for.</summary>
    [Range(0.0, 1.0)]
    public double MinPriceSaving { get; set; } = 0.1;

    [Range(1, 3600)]
    public int PollSeconds { get; set; } = 2;

    [Range(1, 3600)]
    public int MaxPollSeconds { get; set; } = 30;

    /// <summary>Local backend only: evict the first attempt when it reaches this progress (0–1), to exercise resume.</summary>
    [Range(0.0, 1.0)]
    public double? InjectEvictionAtProgress { get; set; }

    /// <summary>Passed to the job as <c>--key value</c>.</summary>
    public Dictionary<string, string> Hyperparameters { get; set; } = new() { ["order"] = "3", ["steps"] = "10" };
}

/// <summary>The evaluation gate. Bound from <c>Evaluation</c>.</summary>
public sealed class EvaluationOptions
{
    [Range(1.0, double.MaxValue)]
    public double MaxTestPerplexity { get; set; } = 500;

    [Range(0.0, 10.0)]
    public double MaxPerplexityRegression { get; set; } = 0.10;

    public bool RequireApproval { get; set; }

    [Range(1, 60 * 24 * 14)]
    public int ApprovalTimeoutMinutes { get; set; } = 60 * 24;
}

/// <summary>Progressive rollout. Bound from <c>Rollout</c>.</summary>
public sealed class RolloutOptions
{
    [Required, MinLength(1)]
    public List<int> TrafficSteps { get; set; } = [10, 50, 100];

    [Range(0, 86_400)]
    public int BakeSeconds { get; set; } = 60;

    [Range(1, 86_400)]
    public int ReadinessTimeoutSeconds { get; set; } = 600;

    [Required]
    public string ProbePrompt { get; set; } = "the model";
}

/// <summary>Off-peak retraining. Bound from <c>Schedule</c>.</summary>
public sealed class ScheduleOptions
{
    /// <summary>Six-field cron (with seconds), evaluated in UTC. Default: 02:00 every day, off-peak.</summary>
    [Required]
    public string RetrainCron { get; set; } = "0 0 2 * * *";
}
