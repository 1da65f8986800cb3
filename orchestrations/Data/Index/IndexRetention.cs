using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>Deletes the segments and run manifests of a model's near-duplicate index that nothing needs any more, once
/// they are older than the retention.</summary>
/// <remarks>
/// <para>Needed, and never deleted: the manifest <see cref="IndexLayout.Latest"/> names and the manifest of its base (a
/// rerun of the latest run starts again from its base), every manifest younger than the retention (a run that failed or
/// is still in flight may yet publish it), and every segment one of those lists. Anything else under
/// <see cref="IndexLayout.Segments"/> and <see cref="IndexLayout.Manifests"/>, and every whole index of the layout before
/// segments (<see cref="IndexLayout.LegacyIndex"/>, with its base file), is deleted once its last write is older than
/// the retention.</para>
/// <para>Idempotent and safe to repeat: a crashed, retried clean-up deletes what is left, and deleting what is already
/// gone is no error. One active pipeline per model means no other run of the model publishes meanwhile; a run in flight
/// that outlives the retention fails at <see cref="NearDuplicateStep.PublishAsync"/> instead of publishing what was
/// collected.</para>
/// <para>The legacy files lie in the runs' folders, found by listing the whole model; once a sweep finds none left it
/// writes <see cref="SweptMarker"/> and later runs list only <see cref="IndexLayout.Folder"/>.</para>
/// </remarks>
public static class IndexRetention
{
    /// <summary>Written once no whole index of the layout before segments is left in the model's folder.</summary>
    public const string SweptMarker = IndexLayout.Folder + "legacy-swept.txt";

    /// <summary>Deletes what the model's index no longer needs and is older than <paramref name="retention"/>, as of
    /// <paramref name="clock"/>; returns the paths deleted (inside the model's folder).</summary>
    public static async Task<IReadOnlyList<string>> CollectAsync(IDataStore store, string model, TimeSpan retention, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentOutOfRangeException.ThrowIfLessThan(retention, TimeSpan.Zero);
        DateTimeOffset cutoff = clock.GetUtcNow() - retention;
        string folder = IndexLayout.InModel(model, string.Empty);
        var needed = new HashSet<string>(StringComparer.Ordinal);
        bool latestIsLegacy = await AddLatestAsync(store, model, needed, cancellationToken);

        var stored = new List<StoredOutput>();
        await foreach (StoredOutput item in store.ListAsync(PipelineStorage.Curated, folder + IndexLayout.Folder, cancellationToken))
        {
            stored.Add(item with { Path = item.Path[folder.Length..] });
        }

        foreach (StoredOutput young in stored.Where(i => i.Path.StartsWith(IndexLayout.Manifests, StringComparison.Ordinal) && i.Path.EndsWith(".json", StringComparison.Ordinal) && i.LastModified >= cutoff))
        {
            string run = young.Path[IndexLayout.Manifests.Length..^".json".Length];
            if (await IndexManifest.ReadAsync(store, model, run, cancellationToken) is { } manifest)
            {
                Need(manifest, needed);
            }
        }

        var deleted = new List<string>();
        IEnumerable<StoredOutput> collectable = stored.Where(i =>
            i.Path.StartsWith(IndexLayout.Manifests, StringComparison.Ordinal) || i.Path.StartsWith(IndexLayout.Segments, StringComparison.Ordinal));
        await DeleteUnneededAsync(store, model, collectable, needed, cutoff, deleted, cancellationToken);

        // A latest run of the old layout still needs its base's whole index for a rerun: leave the old files until it is not.
        if (!latestIsLegacy && !stored.Any(i => i.Path == SweptMarker))
        {
            await SweepLegacyAsync(store, model, needed, cutoff, deleted, cancellationToken);
        }

        return deleted;
    }

    /// <summary>Deletes the whole indexes of the layout before segments (and their base files) that nothing needs and are
    /// older than <paramref name="cutoff"/>; writes <see cref="SweptMarker"/> once none is left.</summary>
    static async Task SweepLegacyAsync(IDataStore store, string model, HashSet<string> needed, DateTimeOffset cutoff, List<string> deleted, CancellationToken cancellationToken)
    {
        string folder = IndexLayout.InModel(model, string.Empty);
        var legacy = new List<StoredOutput>();
        await foreach (StoredOutput item in store.ListAsync(PipelineStorage.Curated, folder, cancellationToken))
        {
            string path = item.Path[folder.Length..];
            if (!path.StartsWith(IndexLayout.Folder, StringComparison.Ordinal)
                && (path.EndsWith("/lsh-index.bin", StringComparison.Ordinal) || path.EndsWith("/lsh-index.base.txt", StringComparison.Ordinal)))
            {
                legacy.Add(item with { Path = path });
            }
        }

        int before = deleted.Count;
        await DeleteUnneededAsync(store, model, legacy, needed, cutoff, deleted, cancellationToken);
        if (deleted.Count - before == legacy.Count)
        {
            await store.WriteAsync(PipelineStorage.Curated, IndexLayout.InModel(model, SweptMarker), BinaryData.FromString("no whole index of the layout before segments is left"), cancellationToken);
        }
    }

    /// <summary>Adds what the model's latest run and its base need; true when the latest run is of the layout before
    /// segments.</summary>
    static async Task<bool> AddLatestAsync(IDataStore store, string model, HashSet<string> needed, CancellationToken cancellationToken)
    {
        if (await NearDuplicateStep.LatestAsync(store, model, cancellationToken) is not { } latest)
        {
            return false;
        }

        if (await IndexManifest.ReadAsync(store, model, latest, cancellationToken) is not { } manifest)
        {
            return true;
        }

        Need(manifest, needed);
        if (manifest.Base is { } baseRun)
        {
            if (await IndexManifest.ReadAsync(store, model, baseRun, cancellationToken) is { } baseManifest)
            {
                Need(baseManifest, needed);
            }
            else
            {
                needed.Add(IndexLayout.LegacyIndex(baseRun));
            }
        }

        return false;
    }

    static void Need(IndexManifest manifest, HashSet<string> needed)
    {
        needed.Add($"{IndexLayout.Manifests}{manifest.Run}.json");
        needed.UnionWith(manifest.Segments.Select(s => s.Path));
    }

    static async Task DeleteUnneededAsync(
        IDataStore store, string model, IEnumerable<StoredOutput> items, HashSet<string> needed, DateTimeOffset cutoff, List<string> deleted, CancellationToken cancellationToken)
    {
        foreach (StoredOutput item in items.Where(i => !needed.Contains(i.Path) && i.LastModified < cutoff))
        {
            await store.DeleteAsync(PipelineStorage.Curated, IndexLayout.InModel(model, item.Path), cancellationToken);
            deleted.Add(item.Path);
        }
    }
}
