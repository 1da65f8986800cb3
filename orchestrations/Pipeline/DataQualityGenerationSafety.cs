using GenAiServerless.Data.Quality;
using GenAiServerless.Evaluation;

namespace GenAiServerless.Pipeline;

/// <summary>The gate's judge of generated text, made of the data stage's own scorers: the toxicity scorer and threshold
/// its quality filter drops records with, and the PII redactor it cleans records with. What the data stage keeps out
/// of training data is what the gate counts in a model's output.</summary>
public sealed class DataQualityGenerationSafety : IGenerationSafety
{
    readonly WordListToxicityScorer toxicity = new();
    readonly double threshold = new ToxicityOptions().Threshold;

    public GenerationAssessment Assess(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        PiiCounts pii = PiiRedactor.All.Redact(text).Counts;
        List<string> kinds = [.. Enum.GetValues<PiiKind>().Where(k => pii.Of(k) > 0).Select(k => k.ToString().ToLowerInvariant())];
        return new GenerationAssessment(toxicity.Score(text) >= threshold, kinds);
    }
}
