using GenAiServerless.Training;

namespace GenAiServerless.Tests.Orchestrations.Training;

/// <summary>Stands in for Azure ML jobs: each job id answers a scripted sequence of states, one per status poll (the
/// last one repeats), and every call is recorded so tests can assert exactly what the orchestrator asked for.</summary>
internal sealed class ScriptedJobBackend : IJobBackend
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Queue<JobStatus>> scripts = new(StringComparer.Ordinal);
    private readonly List<JobSubmission> submissions = [];
    private readonly List<string> queries = [];
    private readonly List<string> cancelled = [];

    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double> { ["train_loss"] = 1.25, ["test_perplexity"] = 42.0 };

    public IReadOnlyList<JobSubmission> Submissions { get { lock (gate) { return [.. submissions]; } } }

    public IReadOnlyList<string> Queries { get { lock (gate) { return [.. queries]; } } }

    public IReadOnlyList<string> Cancelled { get { lock (gate) { return [.. cancelled]; } } }

    public static JobStatus Running(double progress, double billedSeconds) => new(string.Empty, JobState.Running, progress, billedSeconds, "running");

    public static JobStatus Evicted(double progress, double billedSeconds) => new(string.Empty, JobState.Evicted, progress, billedSeconds, "spot VM preempted");

    public static JobStatus Completed(double billedSeconds) => new(string.Empty, JobState.Completed, 1.0, billedSeconds, "done");

    public static JobStatus Failed(double progress, double billedSeconds, string detail) => new(string.Empty, JobState.Failed, progress, billedSeconds, detail);

    /// <summary>The states <paramref name="jobId"/> reports, one per poll.</summary>
    public ScriptedJobBackend Script(string jobId, params JobStatus[] states)
    {
        lock (gate)
        {
            scripts[jobId] = new Queue<JobStatus>(states.Select(s => s with { JobId = jobId }));
        }

        return this;
    }

    public Task<JobStatus> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submission);
        lock (gate)
        {
            if (!scripts.ContainsKey(submission.JobId))
            {
                throw new InvalidOperationException($"unexpected submission of job {submission.JobId}: no script for it");
            }

            submissions.Add(submission);
            return Task.FromResult(new JobStatus(submission.JobId, JobState.Queued, 0, 0, "queued"));
        }
    }

    public Task<JobStatus> GetStatusAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            queries.Add(jobId);
            Queue<JobStatus> script = scripts[jobId];
            return Task.FromResult(script.Count > 1 ? script.Dequeue() : script.Peek());
        }
    }

    public Task CancelAsync(string jobId, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            cancelled.Add(jobId);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, double>> GetMetricsAsync(string jobId, CancellationToken cancellationToken) => Task.FromResult(Metrics);

    public string OutputPrefix(string jobId) => $"jobs/{jobId}/outputs/";
}
