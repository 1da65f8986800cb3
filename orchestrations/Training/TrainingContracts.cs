using GenAiServerless.Training.Prices;

namespace GenAiServerless.Training;

/// <summary>How the Training stage chooses compute and runs its jobs (the evaluation job too).</summary>
/// <param name="PollInterval">First wait between two polls of a job; doubles up to <paramref name="MaxPollInterval"/>.</param>
/// <param name="MaxPriceWait">How long a run may wait for a cheaper spot hour; zero = never.</param>
/// <param name="Component">The training component that runs the model's jobs (<c>Training:Components</c>).</param>
public sealed record TrainingPolicy(
    ComputeRequirements Compute,
    IReadOnlyDictionary<string, string> Hyperparameters,
    int RestartBudget,
    TimeSpan PollInterval,
    TimeSpan MaxPollInterval,
    bool FallbackToDedicated = true,
    TimeSpan MaxPriceWait = default,
    double MinPriceSaving = 0.1,
    string Component = Components.TrainingComponents.NGram);

/// <summary>The two kinds of job that run under the job contract.</summary>
public enum JobKind
{
    Train,
    Evaluate,
}

/// <summary>Input of <see cref="JobRunOrchestrator"/>: one logical job, run to completion across evictions, on the
/// compute chosen for it and under the run's training policy (restart budget, polling, deadline, fallback).</summary>
/// <param name="ModelPrefix">The trained model an evaluation job scores; null for training.</param>
/// <param name="Evaluation">What an evaluation job scores besides the run's test split; null for training.</param>
public sealed record JobRunRequest(
    string Model,
    JobKind Kind,
    string JobIdPrefix,
    IReadOnlyList<string> DataPrefixes,
    string? ModelPrefix,
    TrainingCompute Compute,
    TrainingPolicy Policy,
    EvaluationInputs? Evaluation = null);

/// <summary>The folders an evaluation job reads besides its data (<c>container/prefix/</c>): the model's fixed evaluation
/// set (<c>{evalset}</c> in a component's command) and the prompts it generates for (<c>{prompts}</c>).</summary>
public sealed record EvaluationInputs(string EvalSetPrefix, string PromptsPrefix);

/// <summary>One attempt's submission. Its <see cref="JobId"/> derives from the orchestration instance and the
/// attempt number, so a retried activity or a replay never starts a second job.</summary>
public sealed record JobSubmission(
    string JobId,
    int Attempt,
    JobKind Kind,
    IReadOnlyList<string> DataPrefixes,
    string? ModelPrefix,
    string CheckpointKey,
    string InstanceType,
    bool Spot,
    IReadOnlyDictionary<string, string> Hyperparameters,
    string Component = Components.TrainingComponents.NGram,
    EvaluationInputs? Evaluation = null);

/// <summary>Backend-neutral job state. <see cref="Evicted"/> covers spot preemption however the backend signals it.</summary>
public enum JobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Evicted,
    Canceled,
}

/// <summary>A job's state as last seen, with progress in [0,1] and the seconds it has been billed so far.</summary>
public sealed record JobStatus(string JobId, JobState State, double Progress, double BilledSeconds, string Detail)
{
    public bool IsTerminal => State is JobState.Completed or JobState.Failed or JobState.Evicted or JobState.Canceled;
}

/// <summary>One attempt in the cost ledger.</summary>
public sealed record JobAttempt(string JobId, int Attempt, JobState Outcome, string Sku, string Region, bool Spot, double BilledSeconds, decimal CostUsd);

/// <summary>What a finished job produced and what it cost, attempt by attempt.</summary>
public sealed record JobOutcome(
    string JobId,
    int Attempts,
    int Evictions,
    string OutputPrefix,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyList<JobAttempt> Ledger,
    decimal CostUsd,
    decimal OnDemandCostUsd);

/// <summary>The job's progress while it runs: the orchestration's custom status.</summary>
public sealed record JobProgress(string JobId, int Attempt, JobState State, double Progress, decimal CostSoFarUsd);

/// <summary>The chosen compute, the on-demand price it is measured against, and the ranked alternatives.</summary>
public sealed record TrainingCompute(GpuOffer Offer, decimal OnDemandPricePerHour, ComputeChoice Choice);

/// <summary>Runs jobs under the job contract: Azure ML command jobs, or local processes.</summary>
public interface IJobBackend
{
    /// <summary>Starts the job unless a job with this id exists already; either way returns its status.</summary>
    Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken);

    Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken);

    Task CancelAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>The metrics a completed job wrote (<c>metrics.json</c>).</summary>
    Task<IReadOnlyDictionary<string, double>> GetMetricsAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>Where a job's outputs live, as a <c>container/prefix/</c> in the pipeline's storage.</summary>
    string OutputPrefix(string jobId);
}
