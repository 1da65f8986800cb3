using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>The last step, once the manifest is written: deletes the run's working files and any fan-in scratch files an
/// interrupted attempt left on this machine, and collects what the model's near-duplicate index no longer needs
/// (<see cref="IndexRetention"/>).</summary>
/// <remarks>Idempotent: each part deletes what is still there. The index is collected here, after the run has published
/// its own, so what a run just replaced is judged against the pointer that no longer needs it.</remarks>
public static class DataWorkCleaner
{
    public static async Task<IReadOnlyList<string>> RunAsync(IDataStore store, DataPrepInput input, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(input);
        await store.DeletePrefixAsync(PipelineStorage.Curated, WorkFiles.Folder(input), cancellationToken);
        DropDeduplicator.DeleteScratch(input);
        IndexPolicy index = (input.Policy.Index ?? IndexPolicy.Default).Validate();
        return await IndexRetention.CollectAsync(store, input.Model, index.Retention, clock, cancellationToken);
    }
}
