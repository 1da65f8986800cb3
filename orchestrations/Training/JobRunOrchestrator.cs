using GenAiServerless.Pipeline;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Training;

/// <summary>Runs one logical job to completion: submit, poll with durable timers, and on eviction resubmit
/// the next attempt against the same checkpoints, up to the restart budget.</summary>
[DurableTask(nameof(JobRunOrchestrator))]
public sealed partial class JobRunOrchestrator : TaskOrchestrator<JobRunRequest, JobOutcome>
{
    /// <summary>Polls per attempt before the job is declared stuck (no ContinueAsNew: the local sidecar does not
    /// support it, so the history is bounded by this instead; at the 30 s cap that is about 33 hours).</summary>
    public const int MaxPollsPerAttempt = 4000;

    public override async Task<JobOutcome> RunAsync(TaskOrchestrationContext context, JobRunRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        ILogger log = context.CreateReplaySafeLogger<JobRunOrchestrator>();
        var ledger = new List<JobAttempt>();
        decimal pricePerSecond = input.Compute.PricePerHour / 3600m;
        int evictions = 0;

        for (int attempt = 1; ; attempt++)
        {
            var submission = new JobSubmission(
                JobId: $"{input.JobIdPrefix}-a{attempt}",
                Attempt: attempt,
                Kind: input.Kind,
                DataPrefixes: input.DataPrefixes,
                ModelPrefix: input.ModelPrefix,
                CheckpointKey: input.JobIdPrefix,
                InstanceType: input.Compute.Sku,
                Spot: input.Compute.Spot,
                Hyperparameters: input.Hyperparameters,
                InjectEvictionAtProgress: attempt == 1 ? input.InjectEvictionAtProgress : null);
            await context.CallActivityAsync<JobStatus>(nameof(SubmitJob), submission, PipelineRetry.Activity);

            JobStatus? status = null;
            int delay = input.PollSeconds;
            for (int poll = 0; poll < MaxPollsPerAttempt; poll++)
            {
                await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(delay), CancellationToken.None);
                delay = Math.Min(input.MaxPollSeconds, delay * 2);
                status = await context.CallActivityAsync<JobStatus>(
                    nameof(GetJobStatus), new JobStatusQuery(submission.JobId, submission.InjectEvictionAtProgress), PipelineRetry.Activity);
                decimal soFar = ledger.Sum(a => a.CostUsd) + (decimal)status.BilledSeconds * pricePerSecond;
                context.SetCustomStatus(new JobProgress(submission.JobId, attempt, status.State, status.Progress, Math.Round(soFar, 6)));
                if (status.IsTerminal)
                {
                    break;
                }

                if (status.State == JobState.Running)
                {
                    delay = Math.Max(input.PollSeconds, Math.Min(delay, input.MaxPollSeconds));
                }
            }

            if (status is not { IsTerminal: true })
            {
                await context.CallActivityAsync<bool>(nameof(CancelJob), submission.JobId, PipelineRetry.Activity);
                throw new JobFailedException($"{input.Kind} job {submission.JobId} did not finish within {MaxPollsPerAttempt} polls; it was cancelled.");
            }

            ledger.Add(new JobAttempt(submission.JobId, attempt, status.State, input.Compute.Sku, input.Compute.Region, input.Compute.Spot,
                status.BilledSeconds, Math.Round((decimal)status.BilledSeconds * pricePerSecond, 6)));

            switch (status.State)
            {
                case JobState.Completed:
                    IReadOnlyDictionary<string, double> metrics = await context.CallActivityAsync<IReadOnlyDictionary<string, double>>(
                        nameof(ReadJobMetrics), submission.JobId, PipelineRetry.Activity);
                    string output = await context.CallActivityAsync<string>(nameof(ResolveJobOutput), submission.JobId, PipelineRetry.Activity);
                    decimal cost = ledger.Sum(a => a.CostUsd);
                    double billed = ledger.Sum(a => a.BilledSeconds);
                    decimal onDemand = Math.Round((decimal)billed / 3600m * input.OnDemandPricePerHour, 6);
                    return new JobOutcome(submission.JobId, attempt, evictions, output, metrics, ledger, cost, onDemand);
                case JobState.Evicted:
                    evictions++;
                    if (evictions > input.RestartBudget)
                    {
                        throw new JobFailedException($"{input.Kind} job {input.JobIdPrefix}: evicted {evictions} times, more than the restart budget of {input.RestartBudget}.");
                    }

                    Log.Evicted(log, submission.JobId, status.Progress, attempt + 1);
                    continue;
                default:
                    throw new JobFailedException($"{input.Kind} job {submission.JobId} ended {status.State}: {status.Detail}");
            }
        }
    }
}

public sealed partial class JobRunOrchestrator
{
    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "{JobId} was evicted at {Progress:P0}; resubmitting as attempt {Attempt} from its checkpoints")]
        public static partial void Evicted(ILogger logger, string jobId, double progress, int attempt);
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
