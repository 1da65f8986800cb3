using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;

namespace GenAiServerless.Training;

/// <summary>Chooses where to train from the price snapshot: the cheapest option that meets the requirements.</summary>
[DurableTask(nameof(SelectTrainingCompute))]
public sealed class SelectTrainingCompute(PriceCatalog catalog) : TaskActivity<ComputeRequirements, TrainingCompute>
{
    public override Task<TrainingCompute> RunAsync(TaskActivityContext context, ComputeRequirements input)
    {
        ComputeChoice choice = ComputeSelector.Choose(catalog, input);
        GpuOffer chosen = choice.Offer;
        decimal onDemand = catalog.Offers
            .Where(o => !o.Spot && o.Sku == chosen.Sku && o.Region == chosen.Region)
            .Select(o => o.PricePerHour)
            .DefaultIfEmpty(chosen.PricePerHour)
            .Min();
        return Task.FromResult(new TrainingCompute(chosen, onDemand, choice));
    }
}

/// <summary>Submits one attempt of a job. Idempotent: the backend starts nothing if the job id exists.</summary>
[DurableTask(nameof(SubmitJob))]
public sealed class SubmitJob(IJobBackend backend) : TaskActivity<JobSubmission, JobStatus>
{
    public override Task<JobStatus> RunAsync(TaskActivityContext context, JobSubmission input) =>
        backend.SubmitAsync(input, CancellationToken.None);
}

/// <summary>Reads a job's state once (the orchestrator polls it with durable timers in between).</summary>
[DurableTask(nameof(GetJobStatus))]
public sealed class GetJobStatus(IJobBackend backend) : TaskActivity<JobStatusQuery, JobStatus>
{
    public override Task<JobStatus> RunAsync(TaskActivityContext context, JobStatusQuery input) =>
        backend.GetStatusAsync(input, CancellationToken.None);
}

/// <summary>Reads the metrics a completed job wrote.</summary>
[DurableTask(nameof(ReadJobMetrics))]
public sealed class ReadJobMetrics(IJobBackend backend) : TaskActivity<string, IReadOnlyDictionary<string, double>>
{
    public override Task<IReadOnlyDictionary<string, double>> RunAsync(TaskActivityContext context, string input) =>
        backend.GetMetricsAsync(input, CancellationToken.None);
}

/// <summary>Tells where a job's outputs are stored.</summary>
[DurableTask(nameof(ResolveJobOutput))]
public sealed class ResolveJobOutput(IJobBackend backend) : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult(backend.OutputPrefix(input));
}

/// <summary>Cancels a job (used when a pipeline is cancelled).</summary>
[DurableTask(nameof(CancelJob))]
public sealed class CancelJob(IJobBackend backend) : TaskActivity<string, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, string input)
    {
        await backend.CancelAsync(input, CancellationToken.None);
        return true;
    }
}
