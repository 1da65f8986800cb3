using System.Text.Json.Serialization;
using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Rollout;
using GenAiServerless.Training;

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

/// <summary>The stages of a pipeline run, in order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PipelineStage>))]
public enum PipelineStage
{
    [JsonStringEnumMemberName("data")]
    Data,

    [JsonStringEnumMemberName("training")]
    Training,

    [JsonStringEnumMemberName("evaluation")]
    Evaluation,

    [JsonStringEnumMemberName("registry")]
    Registry,

    [JsonStringEnumMemberName("rollout")]
    Rollout,
}

/// <summary>The names stages are shown and serialised by.</summary>
public static class PipelineStages
{
    /// <summary>The stage's name as shown: <c>data</c>, <c>training</c>, <c>evaluation</c>, <c>registry</c>, <c>rollout</c>.</summary>
    public static string Name(this PipelineStage stage) => stage.ToString().ToLowerInvariant();
}

/// <summary>Status of one stage, as shown by <c>genai status</c> and the demo.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StageState>))]
public enum StageState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Skipped,
}

/// <summary>One stage's state, timing and key figures.</summary>
public sealed record StageReport(PipelineStage Stage, StageState State, DateTime? StartedUtc, DateTime? EndedUtc, string Detail)
{
    /// <summary>Seconds between start and end, when both are known.</summary>
    public double? Seconds => StartedUtc is { } s && EndedUtc is { } e ? Math.Round((e - s).TotalSeconds, 1) : null;
}

/// <summary>The orchestration's custom status: the stages so far, readable while the run is in flight.</summary>
/// <param name="Current">The stage running now; null once the run has ended.</param>
public sealed record PipelineProgress(string Model, IReadOnlyList<StageReport> Stages, PipelineStage? Current);

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
