using GenAiServerless.Platform;
using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Training;

/// <summary>Runs one logical job to completion: submit, poll with durable timers, and on eviction resubmit the next
/// attempt against the same checkpoints. Past the restart budget — or as soon as spot can no longer meet the deadline
/// at the pace of the work left — the next attempt runs on dedicated (on-demand) capacity when the request allows it.
/// An eviction is the backend's signal, or a Running → Queued regression (Azure ML restarts a preempted job itself).
/// The raised event <see cref="CancelEvent"/> cancels the running job and fails the orchestration.</summary>
[DurableTask(nameof(JobRunOrchestrator))]
public sealed partial class JobRunOrchestrator : TaskOrchestrator<JobRunRequest, JobOutcome>
{
    /// <summary>Polls per attempt before the job is declared stuck (no ContinueAsNew: the local sidecar does not
    /// support it, so the history is bounded by this instead; at a 30 s cap that is about 33 hours).</summary>
    public const int MaxPollsPerAttempt = 4000;

    /// <summary>External event that cancels the job (raised when the pipeline is cancelled).</summary>
    public const string CancelEvent = "Cancel";

    public override async Task<JobOutcome> RunAsync(TaskOrchestrationContext context, JobRunRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        ILogger log = context.CreateReplaySafeLogger<JobRunOrchestrator>();
        Task<bool> cancelled = context.WaitForExternalEvent<bool>(CancelEvent);
        DateTime startedUtc = context.CurrentUtcDateTime;
        var ledger = new List<JobAttempt>();
        TrainingPolicy policy = input.Policy;
        GpuOffer offer = input.Compute.Offer;
        IReadOnlyDictionary<string, string> hyperparameters = input.Kind == JobKind.Train ? policy.Hyperparameters : new Dictionary<string, string>();
        int evictions = 0;

        for (int attempt = 1; ; attempt++)
        {
            decimal pricePerSecond = offer.PricePerHour / 3600m;
            var submission = new JobSubmission(
                JobId: $"{input.JobIdPrefix}-a{attempt}",
                Attempt: attempt,
                Kind: input.Kind,
                DataPrefixes: input.DataPrefixes,
                ModelPrefix: input.ModelPrefix,
                CheckpointKey: input.JobIdPrefix,
                InstanceType: offer.Sku,
                Spot: offer.Spot,
                Hyperparameters: hyperparameters,
                Component: policy.Component,
                Evaluation: input.Evaluation);
            await context.CallActivityAsync<JobStatus>(nameof(SubmitJob), submission, PipelineRetry.Activity);

            JobStatus? status = null;
            JobState last = JobState.Queued;
            bool overBudget = false;
            TimeSpan delay = policy.PollInterval;
            for (int poll = 0; poll < MaxPollsPerAttempt; poll++)
            {
                Task timer = context.CreateTimer(context.CurrentUtcDateTime + delay, CancellationToken.None);
                if (await Task.WhenAny(timer, cancelled) == cancelled)
                {
                    await context.CallActivityAsync<bool>(nameof(CancelJob), submission.JobId, PipelineRetry.Activity);
                    throw new JobFailedException($"{input.Kind} job {submission.JobId} was cancelled with the pipeline.");
                }

                delay = Min(policy.MaxPollInterval, delay * 2);
                status = await context.CallActivityAsync<JobStatus>(nameof(GetJobStatus), submission.JobId, PipelineRetry.Activity);
                decimal soFar = ledger.Sum(a => a.CostUsd) + (decimal)status.BilledSeconds * pricePerSecond;
                context.SetCustomStatus(new JobProgress(submission.JobId, attempt, status.State, status.Progress, Math.Round(soFar, 6)));
                if (status.IsTerminal)
                {
                    break;
                }

                if (last == JobState.Running && status.State == JobState.Queued)
                {
                    // Preempted and requeued by the service itself: an eviction that costs no resubmission.
                    evictions++;
                    Log.Requeued(log, submission.JobId, evictions);
                    if (evictions > policy.RestartBudget && policy.FallbackToDedicated && offer.Spot)
                    {
                        await context.CallActivityAsync<bool>(nameof(CancelJob), submission.JobId, PipelineRetry.Activity);
                        overBudget = true;
                        break;
                    }
                }

                last = status.State;
                if (status.State == JobState.Running)
                {
                    delay = Max(policy.PollInterval, Min(delay, policy.MaxPollInterval));
                }
            }

            if (status is null || (!status.IsTerminal && !overBudget))
            {
                await context.CallActivityAsync<bool>(nameof(CancelJob), submission.JobId, PipelineRetry.Activity);
                throw new JobFailedException($"{input.Kind} job {submission.JobId} did not finish within {MaxPollsPerAttempt} polls; it was cancelled.");
            }

            // Azure ML has no Preempted status: a preempted job that is not restarted ends Failed with a preemption reason.
            bool preempted = status.State == JobState.Failed && status.Detail.Contains("preempt", StringComparison.OrdinalIgnoreCase);
            JobState outcome = overBudget || preempted ? JobState.Evicted : status.State;
            ledger.Add(new JobAttempt(submission.JobId, attempt, outcome, offer.Sku, offer.Region, offer.Spot,
                status.BilledSeconds, Math.Round((decimal)status.BilledSeconds * pricePerSecond, 6)));

            switch (outcome)
            {
                case JobState.Completed:
                    IReadOnlyDictionary<string, double> metrics = await context.CallActivityAsync<IReadOnlyDictionary<string, double>>(
                        nameof(ReadJobMetrics), submission.JobId, PipelineRetry.Activity);
                    string output = await context.CallActivityAsync<string>(nameof(ResolveJobOutput), submission.JobId, PipelineRetry.Activity);
                    decimal cost = ledger.Sum(a => a.CostUsd);
                    double billed = ledger.Sum(a => a.BilledSeconds);
                    decimal onDemand = Math.Round((decimal)billed / 3600m * input.Compute.OnDemandPricePerHour, 6);
                    return new JobOutcome(submission.JobId, attempt, evictions, output, metrics, ledger, cost, onDemand);
                case JobState.Evicted:
                    evictions += overBudget ? 0 : 1;
                    double hoursLeft = policy.Compute.Deadline is { } d ? (d - (context.CurrentUtcDateTime - startedUtc)).TotalHours : double.PositiveInfinity;
                    double workLeft = input.Kind == JobKind.Train ? policy.Compute.ExpectedDuration.TotalHours * (1 - status.Progress) : 0;
                    bool deadlineAtRisk = offer.Spot && workLeft * SpotPaceMargin > hoursLeft;
                    if (evictions > policy.RestartBudget || deadlineAtRisk)
                    {
                        if (!policy.FallbackToDedicated || !offer.Spot)
                        {
                            throw new JobFailedException(
                                $"{input.Kind} job {input.JobIdPrefix}: evicted {evictions} times, more than the restart budget of {policy.RestartBudget}"
                                + (deadlineAtRisk ? $", and {workLeft:F1} h of work is left with {hoursLeft:F1} h to the deadline" : string.Empty) + ".");
                        }

                        // Fall back to dedicated capacity of the same size: no more evictions, at the on-demand price.
                        offer = offer with { Spot = false, PricePerHour = input.Compute.OnDemandPricePerHour, EvictionRatePerHour = 0, EvictionBand = "none" };
                        Log.FellBack(log, input.JobIdPrefix, evictions, deadlineAtRisk);
                    }

                    Log.Evicted(log, submission.JobId, status.Progress, attempt + 1);
                    continue;
                default:
                    throw new JobFailedException($"{input.Kind} job {submission.JobId} ended {status.State}: {status.Detail}");
            }
        }
    }

    /// <summary>Spot runs slower than the work alone (lost work, restarts): keep this margin before a deadline.</summary>
    const double SpotPaceMargin = 1.25;

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

public sealed partial class JobRunOrchestrator
{
    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "{JobId} was evicted at {Progress:P0}; resubmitting as attempt {Attempt} from its checkpoints")]
        public static partial void Evicted(ILogger logger, string jobId, double progress, int attempt);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{JobId} was preempted and requeued by the service ({Evictions} eviction(s) so far)")]
        public static partial void Requeued(ILogger logger, string jobId, int evictions);

        [LoggerMessage(Level = LogLevel.Warning, Message = "{Job}: falling back to dedicated capacity after {Evictions} eviction(s) (deadline at risk: {DeadlineAtRisk})")]
        public static partial void FellBack(ILogger logger, string job, int evictions, bool deadlineAtRisk);
    }
}

/// <summary>A job ended in a state the pipeline cannot continue from.</summary>
public sealed class JobFailedException : Exception
{
    public JobFailedException(string message)
        : base(message)
    {
    }

    public JobFailedException()
    {
    }

    public JobFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
