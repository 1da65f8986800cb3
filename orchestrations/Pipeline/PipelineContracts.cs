using GenAiServerless.Training.Prices;

namespace GenAiServerless.Pipeline;

/// <summary>What started a pipeline run.</summary>
public enum PipelineTrigger
{
    DataDrop,
    Schedule,
    DriftAlert,
}

/// <summary>The input of one pipeline run: what to train on and every policy the run follows.</summary>
/// <remarks>Policies travel in the request (never read from options inside an orchestrator), so a run is
/// reproducible from its input alone.</remarks>
public sealed record PipelineRequest(
    string Model,
    PipelineTrigger Trigger,
    IReadOnlyList<DropBlob> Drops,
    DataPolicy Data,
    TrainingPolicy Training,
    EvaluationPolicy Evaluation,
    RolloutPolicy Rollout,
    string Reason);

/// <summary>One dropped file: its blob name inside the <c>incoming</c> container and the ETag seen by the trigger.</summary>
public sealed record DropBlob(string BlobName, string ETag, long Length);

/// <summary>How the Data stage curates records.</summary>
/// <param name="ShardBytes">Plain JSONL and CSV files larger than this are cut into byte-range shards on record
/// boundaries, each curated by its own activity.</param>
/// <param name="Schema">The model's record schema (shapes, metadata fields kept, largest record); null = the default.</param>
/// <param name="Inputs">How tabular inputs are read (text columns, CSV separator); null = the defaults.</param>
/// <param name="ParquetOutput">Also write each curated JSONL file as Parquet beside it (columns id, text, prompt,
/// response, source, meta).</param>
public sealed record DataPolicy(
    double ValidationFraction,
    double TestFraction,
    int MaxRecordChars,
    int ShardRecords,
    string QualityPreset = DataQualityPresets.ShortRecords,
    long ShardBytes = DataPolicy.DefaultShardBytes,
    Data.Inputs.RecordSchema? Schema = null,
    Data.Inputs.InputOptions? Inputs = null,
    bool ParquetOutput = false)
{
    public const long DefaultShardBytes = 64L * 1024 * 1024;
}

/// <summary>The named quality policies a model can choose (thresholds in <see cref="Data.Quality.QualityPolicy"/>).</summary>
public static class DataQualityPresets
{
    /// <summary>Chat turns, one-line answers: Gopher minimums relaxed, C4 off; PII, repetition and toxicity on.</summary>
    public const string ShortRecords = "ShortRecords";

    /// <summary>Web pages, articles: Gopher and C4 as published.</summary>
    public const string Documents = "Documents";

    /// <summary>No PII redaction and no quality filters.</summary>
    public const string Off = "Off";

    public static readonly string[] All = [ShortRecords, Documents, Off];

    public static Data.Quality.QualityPipeline? Create(string preset) => preset switch
    {
        ShortRecords => new Data.Quality.QualityPipeline(Data.Quality.QualityPolicy.ShortRecords),
        Documents => new Data.Quality.QualityPipeline(Data.Quality.QualityPolicy.Documents),
        Off => null,
        _ => throw new ArgumentException($"unknown quality preset '{preset}': use one of {string.Join(", ", All)}", nameof(preset)),
    };
}

/// <summary>How the Training stage chooses compute and runs the job.</summary>
public sealed record TrainingPolicy(
    ComputeRequirements Compute,
    IReadOnlyDictionary<string, string> Hyperparameters,
    int RestartBudget,
    int PollSeconds,
    int MaxPollSeconds,
    double? InjectEvictionAtProgress,
    bool FallbackToDedicated = true,
    double MaxPriceWaitHours = 0,
    double MinPriceSaving = 0.1);

/// <summary>The gate a trained model must pass before it is registered.</summary>
public sealed record EvaluationPolicy(double MaxTestPerplexity, double MaxPerplexityRegression, bool RequireApproval, int ApprovalTimeoutMinutes);

/// <summary>How a registered version is rolled out to the model's endpoint.</summary>
public sealed record RolloutPolicy(IReadOnlyList<int> TrafficSteps, int BakeSeconds, int ReadinessTimeoutSeconds, string ProbePrompt);

/// <summary>Status of one stage, as shown by <c>genai status</c> and the demo.</summary>
public enum StageState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

/// <summary>One stage's state, timing and key figures.</summary>
public sealed record StageReport(string Stage, StageState State, DateTime? StartedUtc, DateTime? EndedUtc, string Detail)
{
    /// <summary>Seconds between start and end, when both are known.</summary>
    public double? Seconds => StartedUtc is { } s && EndedUtc is { } e ? Math.Round((e - s).TotalSeconds, 1) : null;
}

/// <summary>The orchestration's custom status: the stages so far, readable while the run is in flight.</summary>
public sealed record PipelineProgress(string Model, IReadOnlyList<StageReport> Stages, string Current);

/// <summary>The outcome of a pipeline run.</summary>
public sealed record PipelineResult(
    string Model,
    bool Succeeded,
    string Summary,
    IReadOnlyList<StageReport> Stages,
    Data.DataPrepResult? Data,
    Training.JobOutcome? Training,
    Evaluation.GateDecision? Gate,
    Registry.ModelVersionInfo? Version,
    Rollout.RolloutResult? Rollout);

/// <summary>The external event that releases a run waiting for a human at the gate.</summary>
public sealed record ApprovalDecision(bool Approved, string By, string Comment);
