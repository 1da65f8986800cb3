using GenAiServerless.Data.Dedup;
using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>Keeps the model's persistent LSH index in the curated area, so each drop is deduplicated against everything
/// curated for the model before.</summary>
/// <remarks>
/// Idempotent under activity retries: the fan-in saves the index it produced under the run's own prefix
/// (<c>{model}/{run}/lsh-index.bin</c>, with the run it started from in <c>lsh-index.base.txt</c>); the pointer
/// <c>{model}/_index/latest.txt</c> moves to it only once the run's manifest is written (<see cref="PublishAsync"/>), so
/// a run that fails after its fan-in leaves the model's index as it was. A rerun that finds the pointer already on itself
/// starts again from its recorded base, so its records are never judged duplicates of themselves. One active pipeline
/// per model keeps two drops from racing on the pointer.
/// Records are keyed by where they came from (<c>file:line@run</c>), which is unique, unlike user-supplied ids.
/// </remarks>
public static class NearDuplicateStep
{
    public static string Key(string source, string runId) => $"{source}@{runId}";

    /// <summary>The index as it was before this run, and the run it came from (null for the first).</summary>
    public static async Task<(LshIndex Index, string? BaseRun)> LoadAsync(IDataStore store, string model, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? latest = (await store.ReadAsync(PipelineStorage.Curated, Pointer(model), cancellationToken))?.ToString();
        string? baseRun = latest == runId ? (await store.ReadAsync(PipelineStorage.Curated, $"{model}/{runId}/lsh-index.base.txt", cancellationToken))?.ToString() : latest;
        baseRun = string.IsNullOrWhiteSpace(baseRun) ? null : baseRun.Trim();
        if (baseRun is null)
        {
            return (new LshIndex(), null);
        }

        Stream saved = await store.OpenReadAsync(PipelineStorage.Curated, $"{model}/{baseRun}/lsh-index.bin", cancellationToken)
            ?? throw new InvalidOperationException($"the near-duplicate index of run {baseRun} ({model}/{baseRun}/lsh-index.bin) is missing");
        await using (saved)
        {
            return (LshIndex.Load(saved), baseRun);
        }
    }

    /// <summary>Saves the index this run produced (the index it loaded, plus the kept records of <paramref name="keptOf"/>
    /// when given); <see cref="PublishAsync"/> points the model at it later.</summary>
    public static async Task SaveAsync(IDataStore store, string model, string runId, LshIndex index, string? baseRun, CancellationToken cancellationToken, PreparedDrop? keptOf = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(index);
        Stream target = await store.OpenWriteAsync(PipelineStorage.Curated, $"{model}/{runId}/lsh-index.bin", cancellationToken);
        await using (target)
        {
            index.Save(target, keptOf);
        }

        await store.WriteAsync(PipelineStorage.Curated, $"{model}/{runId}/lsh-index.base.txt", BinaryData.FromString(baseRun ?? string.Empty), cancellationToken);
    }

    /// <summary>Points the model's index at this run's (once the run's outputs are all written).</summary>
    public static async Task PublishAsync(IDataStore store, string model, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        await store.WriteAsync(PipelineStorage.Curated, Pointer(model), BinaryData.FromString(runId), cancellationToken);
    }

    static string Pointer(string model) => $"{model}/_index/latest.txt";
}
