namespace GenAiServerless.Evaluation;

/// <summary>What a generation shows: whether it is toxic, and the kinds of personal data in it.</summary>
public sealed record GenerationAssessment(bool Toxic, IReadOnlyList<string> PersonalData);

/// <summary>Judges generated text for the gate: toxicity, and personal data of the kinds the data stage redacts from
/// training data (a model that emits them learned them somewhere). The pipeline wires the data stage's own scorers
/// behind it, so a record the data stage would drop or redact is exactly what the gate counts.</summary>
public interface IGenerationSafety
{
    GenerationAssessment Assess(string text);
}
