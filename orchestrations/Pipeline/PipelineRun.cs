using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Pipeline;

/// <summary>What one run of <see cref="ModelPipelineOrchestrator"/> has produced so far, stage by stage, and its
/// stage reports. Lives only inside the orchestrator (rebuilt on every replay).</summary>
sealed class PipelineRun(TaskOrchestrationContext context, PipelineRequest input)
{
    public TaskOrchestrationContext Context { get; } = context;

    public PipelineRequest Input { get; } = input;

    public string Id => Context.InstanceId;

    public StageTracker Stages { get; } = new(context, input.Model);

    public IReadOnlyList<string> Datasets { get; set; } = [];

    public DataPrepResult? Data { get; set; }

    public TrainingCompute? Compute { get; set; }

    public JobOutcome? Training { get; set; }

    public JobOutcome? Evaluation { get; set; }

    public GateDecision? Gate { get; set; }

    public ModelVersionInfo? Version { get; set; }

    public RolloutResult? Rollout { get; set; }

    /// <summary>Ends the run at <paramref name="stage"/> with <paramref name="reason"/>; the stages after it are skipped.</summary>
    public PipelineResult Fail(PipelineStage stage, string reason)
    {
        // The key event operations alert on (bicep/modules/alerts.bicep matches the message's start).
        PipelineLog.RunFailed(Context.CreateReplaySafeLogger<ModelPipelineOrchestrator>(), Input.Model, Id, stage.Name(), reason);
        Stages.Fail(stage, reason);
        return Finish(false, $"{stage.Name()} failed: {reason}");
    }

    /// <summary>Ends the run with what it produced so far.</summary>
    public PipelineResult Finish(bool succeeded, string summary)
    {
        Stages.Done();
        return new PipelineResult(Input.Model, succeeded, summary, Stages.Reports, Data, Training, Gate, Version, Rollout);
    }
}

/// <summary>Keeps the stage reports of a run and publishes them as the orchestration's custom status after every change.</summary>
sealed class StageTracker
{
    readonly TaskOrchestrationContext context;
    readonly string model;
    readonly Dictionary<PipelineStage, StageReport> stages;

    public StageTracker(TaskOrchestrationContext context, string model)
    {
        this.context = context;
        this.model = model;
        stages = Enum.GetValues<PipelineStage>().ToDictionary(s => s, s => new StageReport(s, StageState.Pending, null, null, string.Empty));
        Current = PipelineStage.Data;
        Publish();
    }

    /// <summary>The stage running now; null once the run has ended.</summary>
    public PipelineStage? Current { get; private set; }

    public IReadOnlyList<StageReport> Reports => [.. Enum.GetValues<PipelineStage>().Select(s => stages[s])];

    public void Start(PipelineStage stage)
    {
        Current = stage;
        stages[stage] = stages[stage] with { State = StageState.Running, StartedUtc = context.CurrentUtcDateTime };
        Publish();
    }

    public void Update(PipelineStage stage, string detail)
    {
        stages[stage] = stages[stage] with { Detail = detail };
        Publish();
    }

    public void Succeed(PipelineStage stage, string detail) => End(stage, StageState.Succeeded, detail);

    public void Skip(PipelineStage stage, string detail) => End(stage, StageState.Skipped, detail);

    /// <summary>Marks <paramref name="stage"/> failed and every stage not yet run as skipped because of it.</summary>
    public void Fail(PipelineStage stage, string reason)
    {
        End(stage, StageState.Failed, reason);
        foreach (PipelineStage s in stages.Keys.Where(s => stages[s].State == StageState.Pending).ToList())
        {
            stages[s] = stages[s] with { State = StageState.Skipped, Detail = $"not run: {stage.Name()} failed" };
        }
    }

    /// <summary>Marks the run ended: stages never reached are skipped.</summary>
    public void Done()
    {
        foreach (PipelineStage s in stages.Keys.Where(s => stages[s].State == StageState.Pending).ToList())
        {
            stages[s] = stages[s] with { State = StageState.Skipped };
        }

        Current = null;
        Publish();
    }

    void End(PipelineStage stage, StageState state, string detail)
    {
        DateTime now = context.CurrentUtcDateTime;
        stages[stage] = stages[stage] with { State = state, StartedUtc = stages[stage].StartedUtc ?? now, EndedUtc = now, Detail = detail };
        Publish();
    }

    void Publish() => context.SetCustomStatus(new PipelineProgress(model, Reports, Current));
}

/// <summary>The pipeline's key log events.</summary>
static partial class PipelineLog
{
    [LoggerMessage(EventId = 100, EventName = "PipelineRunFailed", Level = LogLevel.Error, Message = "Pipeline run failed: {Model} run {RunId} at {Stage}: {Reason}")]
    public static partial void RunFailed(ILogger logger, string model, string runId, string stage, string reason);
}
