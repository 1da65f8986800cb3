using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Training;

/// <summary>Chooses where to train from the price snapshot: the cheapest option that meets the requirements.</summary>
[DurableTask(nameof(SelectTrainingCompute))]
public sealed partial class SelectTrainingCompute(PriceCatalog catalog, ILogger<SelectTrainingCompute> logger) : TaskActivity<ComputeRequirements, TrainingCompute>
{
    public override Task<TrainingCompute> RunAsync(TaskActivityContext context, ComputeRequirements input)
    {
        ComputeChoice choice = ComputeSelector.Choose(catalog, input);
        Log.Chosen(logger, choice.Offer.Sku, choice.Offer.Region, choice.Offer.Spot, choice.ExpectedCostUsd, choice.Reason);
        foreach (RankedOffer alternative in choice.Alternatives)
        {
            Log.Alternative(logger, alternative.Rank, alternative.Offer.Sku, alternative.Offer.Region, alternative.Offer.Spot, alternative.ExpectedCostUsd, alternative.ExpectedWallTime.TotalHours);
        }

        GpuOffer chosen = choice.Offer;
        decimal onDemand = catalog.Offers
            .Where(o => !o.Spot && o.Sku == chosen.Sku && o.Region == chosen.Region)
            .Select(o => o.PricePerHour)
            .DefaultIfEmpty(chosen.PricePerHour)
            .Min();
        return Task.FromResult(new TrainingCompute(chosen, onDemand, choice));
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Compute: {Sku} in {Region} (spot {Spot}), expected ${Cost}: {Reason}")]
        public static partial void Chosen(ILogger logger, string sku, string region, bool spot, decimal cost, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "  alternative #{Rank}: {Sku} in {Region} (spot {Spot}), expected ${Cost} over {Hours:F2} h")]
        public static partial void Alternative(ILogger logger, int rank, string sku, string region, bool spot, decimal cost, double hours);
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
public sealed class GetJobStatus(IJobBackend backend) : TaskActivity<string, JobStatus>
{
    public override Task<JobStatus> RunAsync(TaskActivityContext context, string input) =>
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
