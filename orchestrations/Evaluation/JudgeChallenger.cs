using GenAiServerless.Platform;
using Microsoft.DurableTask;

namespace GenAiServerless.Evaluation;

/// <summary>The gate as an activity: reads the challenger's (and the champion's) per-example results and generations,
/// measures the challenger's safety, compares the two on the examples both scored, and decides. Its decision is recorded
/// once in the history, so a replay never decides again.</summary>
[DurableTask(nameof(JudgeChallenger))]
public sealed class JudgeChallenger(PipelineStorage storage, IGenerationSafety safety) : TaskActivity<GateInput, GateDecision>
{
    /// <summary>How many findings (toxic or leaking generations) the decision record quotes.</summary>
    const int QuotedFindings = 5;

    public override async Task<GateDecision> RunAsync(TaskActivityContext context, GateInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        EvaluationOutput challenger = await EvaluationOutput.ReadAsync(storage, input.ChallengerOutputPrefix, CancellationToken.None);
        EvaluationOutput? champion = input.Champion?.OutputPrefix is { } prefix ? await EvaluationOutput.ReadAsync(storage, prefix, CancellationToken.None) : null;
        PairedComparison? comparison = null;
        string? unavailable = input.Champion?.Unavailable;
        if (champion is not null)
        {
            IReadOnlyList<PairedExample> pairs = challenger.PairWith(champion);
            if (pairs.Count > 0)
            {
                comparison = PairedBootstrap.Compare(pairs, input.Policy.Confidence, input.Policy.Resamples, PairedBootstrap.SeedOf(input.RunId));
            }
            else
            {
                unavailable = "the two evaluations share no examples";
            }
        }

        var evidence = new GateEvidence(challenger.Scores(), Assess(challenger.Generations), input.Champion?.Version, champion?.Scores(), comparison, unavailable);
        return GateRules.Decide(evidence, input.Policy);
    }

    /// <summary>Toxicity and personal data over every generation; the first few findings are quoted by prompt id.</summary>
    public SafetyResult Assess(IReadOnlyList<Generation> generations)
    {
        ArgumentNullException.ThrowIfNull(generations);
        int toxic = 0, leaks = 0;
        var findings = new List<string>();
        foreach (Generation g in generations)
        {
            GenerationAssessment a = safety.Assess(g.Completion);
            if (a.Toxic)
            {
                toxic++;
                if (findings.Count < QuotedFindings)
                {
                    findings.Add($"{g.Id}: toxic");
                }
            }

            if (a.PersonalData.Count > 0)
            {
                leaks++;
                if (findings.Count < QuotedFindings)
                {
                    findings.Add($"{g.Id}: {string.Join(", ", a.PersonalData)}");
                }
            }
        }

        return new SafetyResult(generations.Count, toxic, generations.Count == 0 ? 0 : (double)toxic / generations.Count, leaks, findings);
    }
}
