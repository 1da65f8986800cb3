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
/// moved) and ends when the activity runs; <paramref name="Probe"/> also runs the quality probe (the model's fixed texts
/// scored for their loss on the canary and on the baseline).</summary>
public sealed record CanaryAnalysisRequest(string Endpoint, string Canary, string? Baseline, DateTime From, AnalysisPolicy Policy, bool Probe);

/// <summary>A verdict, the reason in words, the metrics it was drawn from, and the quality probe's figures (when it ran).</summary>
public sealed record CanaryVerdict(CanaryOutcome Outcome, string Reason, DeploymentMetrics Canary, DeploymentMetrics? Baseline, QualityFigures? Quality = null);

/// <summary>One probe text's loss on the canary and on the baseline: bits (null when that deployment could not score it,
/// <paramref name="Error"/> saying why for the canary) and the text's UTF-8 bytes.</summary>
public sealed record QualitySample(long Bytes, double? CanaryBits, double? BaselineBits, string? Error = null);

/// <summary>What the quality probe measured: bits per byte of each deployment over the <paramref name="Paired"/> texts
/// both scored (the canary's over all <paramref name="Texts"/> when there is no baseline), their relative difference,
/// the limit it was judged against, and all of it in words (<paramref name="Detail"/>).</summary>
public sealed record QualityFigures(string Source, int Texts, int Paired, double? CanaryBitsPerByte, double? BaselineBitsPerByte, double? Regression, double MaxRegression, string Detail = "");

/// <summary>The quality probe's verdict: every text must be scored by the canary; with texts the baseline scored too, the
/// canary's bits per byte over those (total bits over total bytes, as the evaluation gate measures a set) may exceed the
/// baseline's by at most <see cref="AnalysisPolicy.MaxQualityRegression"/>. Without a baseline (a first rollout, or one
/// that scored nothing) only the first rule applies.</summary>
public static class QualityJudge
{
    public static (bool Passed, QualityFigures Figures) Judge(string canary, string? baseline, string source, IReadOnlyList<QualitySample> samples, double maxRegression)
    {
        (bool passed, string detail, QualityFigures figures) = Decide(canary, baseline, source, samples, maxRegression);
        return (passed, figures with { Detail = detail });
    }

    static (bool Passed, string Detail, QualityFigures Figures) Decide(string canary, string? baseline, string source, IReadOnlyList<QualitySample> samples, double maxRegression)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            return (false, $"quality probe: no texts to score ({source})", new QualityFigures(source, 0, 0, null, null, null, maxRegression));
        }

        int failedAt = samples.ToList().FindIndex(s => s.CanaryBits is null);
        if (failedAt >= 0)
        {
            return (false, $"quality probe: {canary} did not score text {failedAt + 1} of {source}: {samples[failedAt].Error ?? "no answer"}",
                new QualityFigures(source, samples.Count, 0, null, null, null, maxRegression));
        }

        double? own = PerByte(samples, s => s.CanaryBits!.Value);
        List<QualitySample> paired = baseline is null ? [] : [.. samples.Where(s => s.BaselineBits is not null)];
        if (paired.Count == 0)
        {
            string why = baseline is null ? "no baseline" : $"{baseline} scored none of them";
            return (true, $"quality: {canary} scored {samples.Count} texts, {B(own)} bits/byte ({why} to compare with)",
                new QualityFigures(source, samples.Count, 0, own, null, null, maxRegression));
        }

        double? mine = PerByte(paired, s => s.CanaryBits!.Value);
        double? theirs = PerByte(paired, s => s.BaselineBits!.Value);
        double? regression = mine is { } m && theirs is { } t && t > 0 ? m / t - 1 : null;
        var figures = new QualityFigures(source, samples.Count, paired.Count, mine, theirs, regression, maxRegression);
        string of = paired.Count == samples.Count ? $"{samples.Count} texts" : $"the {paired.Count} of {samples.Count} texts {baseline} scored";
        string figuresText = $"{canary} {B(mine)} bits/byte vs {baseline} {B(theirs)} over {of} ({Pct(regression)}, limit +{(maxRegression * 100).ToString("0.#", CultureInfo.InvariantCulture)}%)";
        bool worse = mine is { } a && theirs is { } b && a > b * (1 + maxRegression);
        return worse ? (false, $"quality probe: {figuresText}", figures) : (true, $"quality: {figuresText}", figures);
    }

    /// <summary>Total bits over total bytes of the texts with bytes; null when none has any.</summary>
    static double? PerByte(IEnumerable<QualitySample> samples, Func<QualitySample, double> bits)
    {
        double total = 0;
        long bytes = 0;
        foreach (QualitySample s in samples.Where(s => s.Bytes > 0))
        {
            total += bits(s);
            bytes += s.Bytes;
        }

        return bytes > 0 ? total / bytes : null;
    }

    static string B(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "n/a";

    static string Pct(double? share) => share is { } s ? (s >= 0 ? "+" : string.Empty) + (s * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "n/a";
}

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
/// <see cref="CanaryAnalysisRequest.Probe"/>, also runs the quality probe: the model's fixed texts scored for their loss
/// on the canary and on the baseline, pinned, and judged by <see cref="QualityJudge"/>. Its figures go into the verdict.</summary>
[DurableTask(nameof(AnalyzeCanary))]
public sealed class AnalyzeCanary(IDeploymentMetrics metrics, IEndpointHost host, IQualityProbeTexts probeTexts, TimeProvider clock) : TaskActivity<CanaryAnalysisRequest, CanaryVerdict>
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

        // The endpoint is named after the model: its fixed set, or the configured texts when it has none.
        QualityProbeTexts texts = await probeTexts.ReadAsync(input.Endpoint, Math.Max(1, input.Policy.QualitySamples), CancellationToken.None);
        if (texts.Texts.Count == 0)
        {
            texts = new QualityProbeTexts([.. input.Policy.QualityPrompts.Take(Math.Max(1, input.Policy.QualitySamples))], "the configured texts (Rollout:Analysis:QualityPrompts)");
        }

        var samples = new List<QualitySample>(texts.Texts.Count);
        foreach (string text in texts.Texts)
        {
            long bytes = System.Text.Encoding.UTF8.GetByteCount(text);
            (LossScore? mine, string? error) = await LossAsync(input.Endpoint, text, input.Canary);
            if (mine is null)
            {
                samples.Add(new QualitySample(bytes, null, null, error));
                break; // one text the canary cannot score fails the probe: no need to score the rest
            }

            LossScore? theirs = input.Baseline is null ? null : (await LossAsync(input.Endpoint, text, input.Baseline)).Score;
            samples.Add(new QualitySample(mine.Bytes, mine.Bits, theirs?.Bits));
        }

        (bool passed, QualityFigures figures) = QualityJudge.Judge(input.Canary, input.Baseline, texts.Source, samples, input.Policy.MaxQualityRegression);
        return passed ? verdict with { Quality = figures } : verdict with { Outcome = CanaryOutcome.Fail, Reason = figures.Detail, Quality = figures };
    }

    async Task<(LossScore? Score, string? Error)> LossAsync(string endpoint, string text, string deployment)
    {
        try
        {
            return (await host.ScoreLossAsync(endpoint, text, deployment, CancellationToken.None), null);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or KeyNotFoundException or TimeoutException)
        {
            return (null, e.Message);
        }
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
