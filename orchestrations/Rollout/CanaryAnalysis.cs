using System.Globalization;
using Microsoft.DurableTask;

namespace GenAiServerless.Rollout;

/// <summary>What the analysis concluded: the canary fails, passes, or served too few requests to be judged yet.</summary>
public enum CanaryOutcome
{
    Inconclusive,
    Pass,
    Fail,
}

/// <summary>Input of <see cref="AnalyzeCanary"/>: the step's window starts at <paramref name="From"/> (when its traffic
/// moved) and ends when the activity runs; <paramref name="Probe"/> also sends the quality prompts.</summary>
public sealed record CanaryAnalysisRequest(string Endpoint, string Canary, string? Baseline, DateTime From, AnalysisPolicy Policy, bool Probe);

/// <summary>A verdict, the reason in words, and the metrics it was drawn from.</summary>
public sealed record CanaryVerdict(CanaryOutcome Outcome, string Reason, DeploymentMetrics Canary, DeploymentMetrics? Baseline, string? SampleAnswer = null);

/// <summary>The canary's metrics against the baseline's: relative thresholds with absolute floors, and no verdict before
/// the canary has served <see cref="AnalysisPolicy.MinRequests"/> requests. A baseline with fewer requests than that
/// (or none) is not compared with: only the floors apply.</summary>
public static class CanaryJudge
{
    public static CanaryVerdict Judge(DeploymentMetrics canary, DeploymentMetrics? baseline, AnalysisPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(canary);
        ArgumentNullException.ThrowIfNull(policy);
        if (canary.Requests < policy.MinRequests)
        {
            return new CanaryVerdict(CanaryOutcome.Inconclusive, $"{canary.Deployment} served {canary.Requests} requests, fewer than the {policy.MinRequests} needed for a verdict", canary, baseline);
        }

        DeploymentMetrics? b = baseline is { } x && x.Requests >= policy.MinRequests ? x : null;
        double errorLimit = Math.Max(policy.ErrorRateFloor, (b?.ErrorRate ?? 0) * policy.MaxErrorRateRatio);
        if (canary.ErrorRate > errorLimit)
        {
            string against = b is null ? "the floor" : $"{F(policy.MaxErrorRateRatio)}× {b.Deployment}'s {P(b.ErrorRate)}, floor {P(policy.ErrorRateFloor)}";
            return new CanaryVerdict(CanaryOutcome.Fail, $"error rate of {canary.Deployment} is {P(canary.ErrorRate)} ({canary.Errors} of {canary.Requests}), above {P(errorLimit)} ({against})", canary, baseline);
        }

        double floorMs = policy.LatencyFloor.TotalMilliseconds;
        double latencyLimit = Math.Max(floorMs, (b?.LatencyP95Ms ?? 0) * policy.MaxLatencyRatio);
        if (canary.LatencyP95Ms is { } p95 && p95 > latencyLimit)
        {
            string against = b?.LatencyP95Ms is { } bp ? $"{F(policy.MaxLatencyRatio)}× {b.Deployment}'s {F(bp)} ms, floor {F(floorMs)} ms" : "the floor";
            return new CanaryVerdict(CanaryOutcome.Fail, $"p95 latency of {canary.Deployment} is {F(p95)} ms, above {F(latencyLimit)} ms ({against})", canary, baseline);
        }

        string vs = b is null ? string.Empty : $" vs {P(b.ErrorRate)}, {F(b.LatencyP95Ms ?? 0)} ms on {b.Deployment}";
        return new CanaryVerdict(CanaryOutcome.Pass, $"{canary.Deployment}: {canary.Requests} requests, error rate {P(canary.ErrorRate)}, p95 {F(canary.LatencyP95Ms ?? 0)} ms{vs}", canary, baseline);
    }

    static string P(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    static string F(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}

/// <summary>Reads the canary's and the baseline's metrics for the step so far and judges them; with
/// <see cref="CanaryAnalysisRequest.Probe"/>, also sends each quality prompt pinned to the canary, any failure failing it.</summary>
[DurableTask(nameof(AnalyzeCanary))]
public sealed class AnalyzeCanary(IDeploymentMetrics metrics, IEndpointHost host, TimeProvider clock) : TaskActivity<CanaryAnalysisRequest, CanaryVerdict>
{
    public override async Task<CanaryVerdict> RunAsync(TaskActivityContext context, CanaryAnalysisRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var from = new DateTimeOffset(DateTime.SpecifyKind(input.From, DateTimeKind.Utc));
        DateTimeOffset to = clock.GetUtcNow();
        DeploymentMetrics canary = await metrics.ReadAsync(new MetricsQuery(input.Endpoint, input.Canary, from, to), CancellationToken.None);
        DeploymentMetrics? baseline = input.Baseline is null ? null : await metrics.ReadAsync(new MetricsQuery(input.Endpoint, input.Baseline, from, to), CancellationToken.None);
        CanaryVerdict verdict = CanaryJudge.Judge(canary, baseline, input.Policy);
        if (!input.Probe || verdict.Outcome == CanaryOutcome.Fail)
        {
            return verdict;
        }

        string? sample = null;
        foreach (string prompt in input.Policy.QualityPrompts)
        {
            try
            {
                sample ??= (await host.ScoreAsync(input.Endpoint, prompt, input.Canary, CancellationToken.None)).Completion;
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or KeyNotFoundException or TimeoutException)
            {
                return verdict with { Outcome = CanaryOutcome.Fail, Reason = $"quality probe: {input.Canary} did not answer '{prompt}': {e.Message}" };
            }
        }

        return verdict with { SampleAnswer = sample };
    }
}

/// <summary>The registry's aliases as a rollout moves them: <c>champion</c> to the version now serving, <c>previous</c>
/// to the one kept warm for a rollback (none for a first deployment).</summary>
public sealed record AliasPromotion(string Model, int Champion, int? Previous);

/// <summary>The registry as the rollout sees it. The pipeline wires it to the model registry; the rollout stage does not
/// know the registry.</summary>
public interface IRolloutAliases
{
    /// <summary>Points <c>previous</c> (when given) and then <c>champion</c>; idempotent.</summary>
    Task MoveAsync(AliasPromotion move, CancellationToken cancellationToken);

    /// <summary>Where <c>champion</c> and <c>previous</c> point now.</summary>
    Task<RolloutAliasState> ReadAsync(string model, CancellationToken cancellationToken);

    /// <summary>Undoes a promotion (<see cref="AliasRollback"/>); idempotent.</summary>
    Task RestoreAsync(AliasRollback rollback, CancellationToken cancellationToken);
}

/// <summary>Moves the model's aliases to match the endpoint.</summary>
[DurableTask(nameof(MoveModelAliases))]
public sealed class MoveModelAliases(IRolloutAliases aliases) : TaskActivity<AliasPromotion, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, AliasPromotion input)
    {
        await aliases.MoveAsync(input, CancellationToken.None);
        return true;
    }
}
