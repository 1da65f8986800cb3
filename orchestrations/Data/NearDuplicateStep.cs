using GenAiServerless.Data.Dedup;
using GenAiServerless.Pipeline;

namespace GenAiServerless.Data;

/// <summary>Runs near-duplicate removal for one drop against the model's persistent LSH index in the curated area.</summary>
/// <remarks>
/// Idempotent under activity retries: each run saves the index it produced under its own prefix
/// (<c>{model}/{run}/lsh-index.bin</c>, with the run it started from in <c>lsh-index.base.txt</c>) and only then moves
/// the pointer <c>{model}/_index/latest.txt</c>. A retry that finds the pointer already on itself starts again from its
/// recorded base, so its records are never judged duplicates of themselves. One active pipeline per model keeps two
/// drops from racing on the pointer.
/// Records are keyed by where they came from (<c>file:line@run</c>), which is unique, unlike user-supplied ids.
/// </remarks>
public static class NearDuplicateStep
{
    public static string Key(CuratedRecord record, string runId)
    {
        ArgumentNullException.ThrowIfNull(record);
        return $"{record.Source}@{runId}";
    }

    public static async Task<NearDuplicateOutcome> RunAsync(IDataStore store, string model, string runId, IReadOnlyList<CuratedRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(records);
        string pointer = $"{model}/_index/latest.txt";
        string? latest = (await store.ReadAsync(PipelineStorage.Curated, pointer, cancellationToken))?.ToString();
        string? baseRun = latest == runId ? (await store.ReadAsync(PipelineStorage.Curated, $"{model}/{runId}/lsh-index.base.txt", cancellationToken))?.ToString() : latest;
        baseRun = string.IsNullOrWhiteSpace(baseRun) ? null : baseRun.Trim();

        LshIndex index = new();
        if (baseRun is not null)
        {
            BinaryData saved = await store.ReadAsync(PipelineStorage.Curated, $"{model}/{baseRun}/lsh-index.bin", cancellationToken)
                ?? throw new InvalidOperationException($"the near-duplicate index of run {baseRun} ({model}/{baseRun}/lsh-index.bin) is missing");
            using Stream stream = saved.ToStream();
            index = LshIndex.Load(stream);
        }

        var batch = new SignatureBatch(Math.Max(16, records.Count));
        for (int i = 0; i < records.Count; i++)
        {
            batch.Add(Key(records[i], runId), i, records[i].Text, MinHasher.Default);
        }

        NearDuplicateOutcome outcome = index.Deduplicate([batch], commit: true);
        using (var buffer = new MemoryStream())
        {
            index.Save(buffer);
            await store.WriteAsync(PipelineStorage.Curated, $"{model}/{runId}/lsh-index.bin", new BinaryData(buffer.ToArray()), cancellationToken);
        }

        await store.WriteAsync(PipelineStorage.Curated, $"{model}/{runId}/lsh-index.base.txt", BinaryData.FromString(baseRun ?? string.Empty), cancellationToken);
        await store.WriteAsync(PipelineStorage.Curated, pointer, BinaryData.FromString(runId), cancellationToken);
        return outcome;
    }
}
