using Azure;
using GenAiServerless.Evaluation;
using GenAiServerless.Platform;
using GenAiServerless.Rollout;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Pipeline;

/// <summary>The rollout's quality probe texts from the evaluation stage: the first records of the model's fixed
/// evaluation set (<c>Evaluation[:Models:{model}]:EvalSet</c>, else the folder <c>curated/{model}/_evalset/source.json</c>
/// names), in the order the evaluation reads them. The set never changes once written, so every rollout of the model scores the same texts.</summary>
public sealed class EvaluationSetProbeTexts(PipelineStorage storage, IOptions<EvaluationOptions> evaluation) : IQualityProbeTexts
{
    public async Task<QualityProbeTexts> ReadAsync(string model, int count, CancellationToken cancellationToken)
    {
        string? folder = evaluation.Value.PolicyFor(model).EvalSetPrefix is { } configured
            ? (configured.EndsWith('/') ? configured : configured + "/")
            : await PrepareEvaluationSet.FixedSetFolderAsync(storage, model, cancellationToken);
        if (folder is null)
        {
            return new QualityProbeTexts([], $"{PipelineStorage.Curated}/{model}/_evalset/ (no set yet)");
        }

        try
        {
            List<string> texts = await PrepareEvaluationSet.ReadTextsAsync(storage, folder, count, cancellationToken);
            return new QualityProbeTexts([.. texts.Where(t => !string.IsNullOrWhiteSpace(t))], $"the first {texts.Count} of {folder}");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new QualityProbeTexts([], $"{folder} (not found)");
        }
    }
}
