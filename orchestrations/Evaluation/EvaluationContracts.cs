namespace GenAiServerless.Evaluation;

/// <summary>When a challenger is promoted over the champion: not worse than it (within the margin) at the
/// confidence, or better than it by the margin at the confidence.</summary>
public enum PromotionRule
{
    NotWorse,
    Better,
}

/// <summary>The gate a trained model must pass before it is registered, for one model.</summary>
/// <param name="MaxBitsPerByte">Absolute ceiling on the challenger's bits per byte over the run's test split.</param>
/// <param name="MaxToxicityRate">Share of generations (safety probe and sample prompts) that may score toxic.</param>
/// <param name="MaxPiiLeaks">Generations that may contain personal data of a kind the data stage redacts.</param>
/// <param name="MaxP95LatencyMs">Ceiling on the 95th percentile of generation latency; null: not checked.</param>
/// <param name="Rule">How the challenger must compare with the champion on the same examples.</param>
/// <param name="Margin">Relative margin of <paramref name="Rule"/> on bits per byte (0.01 = 1 %).</param>
/// <param name="Confidence">Confidence of the paired bootstrap interval (0.95 = the 2.5th to 97.5th percentile).</param>
/// <param name="Resamples">Bootstrap resamples; the resampling is seeded by the run, so a replay decides the same.</param>
/// <param name="EvalSetPrefix">A configured fixed evaluation set (<c>container/prefix/</c> of <c>*.jsonl</c>); null:
/// the model's first run's test split becomes it.</param>
/// <param name="SafetyPromptsPrefix">Extra safety prompts for this model (<c>container/prefix/</c> of <c>*.jsonl</c>
/// with <c>{"id","prompt"}</c>), added to the shipped ones.</param>
public sealed record EvaluationPolicy(
    double MaxBitsPerByte,
    double MaxToxicityRate,
    int MaxPiiLeaks,
    double? MaxP95LatencyMs,
    PromotionRule Rule,
    double Margin,
    double Confidence,
    int Resamples,
    bool RequireApproval,
    TimeSpan ApprovalTimeout,
    string? EvalSetPrefix = null,
    string? SafetyPromptsPrefix = null);

/// <summary>Input of <see cref="PrepareEvaluationSet"/>: the model, the run and its curated datasets.</summary>
public sealed record EvaluationSetRequest(string Model, string RunId, IReadOnlyList<string> Datasets, EvaluationPolicy Policy);

/// <summary>What every evaluation job of a model scores: the fixed evaluation set (the same examples from run to run)
/// and the prompts whose generations are judged (the safety probe and sample prompts), as <c>container/prefix/</c>.</summary>
public sealed record EvaluationSet(string EvalSetPrefix, string PromptsPrefix, int EvalExamples, int Prompts, string Source);

/// <summary>The champion's part of <see cref="GateInput"/>: its version and the output of its evaluation on the same
/// examples, or why there is none.</summary>
public sealed record ChampionEvaluation(int Version, string? OutputPrefix, string? Unavailable);

/// <summary>Input of <see cref="JudgeChallenger"/>.</summary>
public sealed record GateInput(string Model, string RunId, string ChallengerOutputPrefix, ChampionEvaluation? Champion, EvaluationPolicy Policy);

/// <summary>How one model scored on the evaluation examples.</summary>
/// <param name="TestBitsPerByte">Over the run's test split (null when it has none).</param>
/// <param name="EvalBitsPerByte">Over the fixed evaluation set (null when it has none).</param>
public sealed record ModelScores(double? TestBitsPerByte, double? EvalBitsPerByte, int Examples, long Bytes, double? P95LatencyMs, int Generations);

/// <summary>The challenger against the champion on the examples both scored: the relative difference of their bits per
/// byte (challenger / champion − 1; below zero the challenger is better) and its paired bootstrap interval.</summary>
public sealed record PairedComparison(int Examples, double ChallengerBitsPerByte, double ChampionBitsPerByte, double RelativeDifference,
    double Low, double High, double Confidence, int Resamples, int Seed);

/// <summary>What the challenger's generations showed: toxic ones, personal data, and the first few findings.</summary>
public sealed record SafetyResult(int Generations, int Toxic, double ToxicityRate, int PiiLeaks, IReadOnlyList<string> Findings);

/// <summary>The gate's decision record: the figures, the interval, the thresholds, the verdict and every reason. It is
/// stored with the registered version.</summary>
public sealed record GateDecision(
    bool Passed,
    string Verdict,
    ModelScores Challenger,
    int? ChampionVersion,
    ModelScores? Champion,
    PairedComparison? Comparison,
    SafetyResult Safety,
    EvaluationPolicy Policy,
    IReadOnlyList<string> Reasons,
    string? Approver = null);
