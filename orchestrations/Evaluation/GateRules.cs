using System.Globalization;

namespace GenAiServerless.Evaluation;

/// <summary>What the gate judges: the challenger's scores and safety, and the champion's scores on the same examples.</summary>
public sealed record GateEvidence(ModelScores Challenger, SafetyResult Safety, int? ChampionVersion, ModelScores? Champion, PairedComparison? Comparison, string? ChampionUnavailable);

/// <summary>The gate: absolute thresholds (bits per byte, toxicity, personal data, latency), then the paired comparison
/// with the champion. Every check adds a reason, passed or not, so the decision record explains itself.</summary>
public static class GateRules
{
    public const string Promote = "promote";
    public const string Reject = "reject";

    public static GateDecision Decide(GateEvidence evidence, EvaluationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        ArgumentNullException.ThrowIfNull(policy);
        var reasons = new List<string>();
        bool passed = true;
        void Check(bool ok, string pass, string fail)
        {
            passed &= ok;
            reasons.Add(ok ? pass : fail);
        }

        ModelScores c = evidence.Challenger;
        if (c.TestBitsPerByte is not { } bpb)
        {
            Check(false, string.Empty, "the evaluation wrote no per-example results for the test split (examples.jsonl)");
        }
        else
        {
            Check(bpb <= policy.MaxBitsPerByte,
                $"test {F(bpb)} bits/byte ≤ {F(policy.MaxBitsPerByte)}",
                $"test {F(bpb)} bits/byte is above the threshold {F(policy.MaxBitsPerByte)}");
        }

        SafetyResult s = evidence.Safety;
        if (s.Generations == 0)
        {
            // 0 of 0 is not "none toxic": a job that wrote no generations has not been probed at all.
            Check(false, string.Empty, "the safety probe has no generations (generations.jsonl missing or empty): toxicity and personal data cannot be judged");
        }

        Check(s.ToxicityRate <= policy.MaxToxicityRate,
            $"{s.Toxic} of {s.Generations} generations toxic ({Pct(s.ToxicityRate)} ≤ {Pct(policy.MaxToxicityRate)})",
            $"{s.Toxic} of {s.Generations} generations toxic ({Pct(s.ToxicityRate)} > {Pct(policy.MaxToxicityRate)})" + Findings(s));
        Check(s.PiiLeaks <= policy.MaxPiiLeaks,
            $"{s.PiiLeaks} generation(s) with personal data (≤ {policy.MaxPiiLeaks})",
            $"{s.PiiLeaks} generation(s) with personal data (> {policy.MaxPiiLeaks})" + Findings(s));
        if (policy.MaxP95LatencyMs is { } maxLatency)
        {
            if (c.P95LatencyMs is { } p95)
            {
                Check(p95 <= maxLatency, $"p95 generation latency {F(p95)} ms ≤ {F(maxLatency)} ms", $"p95 generation latency {F(p95)} ms is above {F(maxLatency)} ms");
            }
            else
            {
                Check(false, string.Empty, "no generation latencies were recorded (generations.jsonl)");
            }
        }

        if (evidence.Comparison is { } cmp)
        {
            string interval = $"{Signed(cmp.RelativeDifference)} [{Signed(cmp.Low)}, {Signed(cmp.High)}] at {Pct(cmp.Confidence, "0")} confidence";
            string against = $"champion v{evidence.ChampionVersion} on {cmp.Examples} shared examples: {F(cmp.ChallengerBitsPerByte)} vs {F(cmp.ChampionBitsPerByte)} bits/byte, {interval}";
            if (policy.Rule == PromotionRule.NotWorse)
            {
                Check(cmp.High <= policy.Margin, $"not worse than {against} (upper bound ≤ +{Pct(policy.Margin)})",
                    $"may be worse than {against} (upper bound > +{Pct(policy.Margin)})");
            }
            else
            {
                Check(cmp.High <= -policy.Margin, $"better than {against} (upper bound ≤ −{Pct(policy.Margin)})",
                    $"not shown better than {against} (upper bound > −{Pct(policy.Margin)})");
            }
        }
        else if (evidence.ChampionVersion is { } version)
        {
            reasons.Add($"champion v{version} not compared: {evidence.ChampionUnavailable ?? "no shared examples"}; absolute thresholds only");
        }
        else
        {
            reasons.Add("no champion yet: absolute thresholds only");
        }

        return new GateDecision(passed, passed ? Promote : Reject, c, evidence.ChampionVersion, evidence.Champion, evidence.Comparison, s, policy, reasons);
    }

    static string Findings(SafetyResult s) => s.Findings.Count == 0 ? string.Empty : $": {string.Join("; ", s.Findings)}";

    static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    static string Pct(double share, string format = "0.0") => (share * 100).ToString(format, CultureInfo.InvariantCulture) + "%";

    static string Signed(double share) => (share >= 0 ? "+" : "−") + Pct(Math.Abs(share), "0.00");
}
