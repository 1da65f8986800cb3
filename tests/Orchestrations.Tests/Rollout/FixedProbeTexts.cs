using GenAiServerless.Rollout;

namespace GenAiServerless.Tests.Orchestrations.Rollout;

/// <summary>Every model's quality probe texts are the given ones (none: the model has no fixed set).</summary>
internal sealed class FixedProbeTexts(params string[] texts) : IQualityProbeTexts
{
    public Task<QualityProbeTexts> ReadAsync(string model, int count, CancellationToken cancellationToken) =>
        Task.FromResult(new QualityProbeTexts([.. texts.Take(count)], $"the fixed set of {model}"));
}
