using GenAiServerless.Data.Dedup;
using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>Keeps the model's persistent LSH index in the curated area as immutable segments shared between runs, so
/// each drop is deduplicated against everything curated for the model before, and each run stores only what it adds.</summary>
/// <remarks>
/// <para>A run's fan-in loads the segments its base run's manifest lists, in order (entry numbers, and so outcomes, are
/// those of one index holding them all), writes one segment of the records its drop kept
/// (<see cref="IndexLayout.DropSegment"/>) and its own manifest: the base's segments, then its own. When that would list
/// more than <see cref="IndexPolicy.MaxSegments"/>, it writes instead one new segment of every entry
/// (<see cref="IndexLayout.CompactedSegment"/>, the index it already holds in memory) and lists just that: compaction
/// writes a new segment and never rewrites one another manifest lists. <see cref="IndexRetention"/> deletes what no
/// manifest needs any more.</para>
/// <para>Idempotent under activity retries: a run's segment and manifest are named by the run and written again with the
/// same bytes. The pointer <see cref="IndexLayout.Latest"/> moves to the run only once the run's data manifest is
/// written (<see cref="PublishAsync"/>), so a run that fails after its fan-in leaves the model's index as it was. A rerun
/// that finds the pointer already on itself starts again from the base its manifest records, so its records are never
/// judged duplicates of themselves. One active pipeline per model keeps two drops from racing on the pointer.</para>
/// <para>A model indexed before segments (each run saved its whole index as <see cref="IndexLayout.LegacyIndex"/>) keeps
/// working: that file is read as a base's one segment, and the next manifests list it until a compaction replaces it.</para>
/// <para>Records are keyed by where they came from (<c>file:line@run</c>), which is unique, unlike user-supplied ids.</para>
/// </remarks>
public static class NearDuplicateStep
{
    public static string Key(string source, string runId) => $"{source}@{runId}";

    /// <summary>The index as it was before this run, and the manifest of the run it came from (null for the first).</summary>
    public static async Task<(LshIndex Index, IndexManifest? Base)> LoadAsync(IDataStore store, string model, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? baseRun = await LatestAsync(store, model, cancellationToken);
        if (baseRun == runId)
        {
            IndexManifest? own = await IndexManifest.ReadAsync(store, model, runId, cancellationToken);
            baseRun = own is not null
                ? own.Base
                : Trimmed((await store.ReadAsync(PipelineStorage.Curated, IndexLayout.InModel(model, IndexLayout.LegacyBase(runId)), cancellationToken))?.ToString());
        }

        if (baseRun is null)
        {
            return (new LshIndex(), null);
        }

        IndexManifest? saved = await IndexManifest.ReadAsync(store, model, baseRun, cancellationToken);
        if (saved is null)
        {
            // The base was indexed before segments: its whole index is one segment.
            LshIndex legacy = await LoadSegmentAsync(store, model, IndexLayout.LegacyIndex(baseRun), null, 0, cancellationToken)
                ?? throw new InvalidOperationException(
                    $"the near-duplicate index of run {baseRun} is missing: neither {IndexLayout.Manifest(model, baseRun)} nor {IndexLayout.InModel(model, IndexLayout.LegacyIndex(baseRun))} exists");
            return (legacy, new IndexManifest(baseRun, null, [new IndexSegment(IndexLayout.LegacyIndex(baseRun), legacy.Count)]));
        }

        LshIndex? index = null;
        foreach (IndexSegment segment in saved.Segments)
        {
            int before = index?.Count ?? 0;
            index = await LoadSegmentAsync(store, model, segment.Path, index, saved.Entries, cancellationToken)
                ?? throw new InvalidOperationException($"segment {segment.Path} of the near-duplicate index of run {baseRun} ({IndexLayout.Manifest(model, baseRun)}) is missing");
            if (index.Count - before != segment.Entries)
            {
                throw new InvalidDataException($"{IndexLayout.InModel(model, segment.Path)} holds {index.Count - before} entries; the manifest of run {baseRun} says {segment.Entries}");
            }
        }

        return (index ?? new LshIndex(), saved);
    }

    /// <summary>Saves what this run adds to the index — the kept records of <paramref name="keptOf"/>, clustered against
    /// <paramref name="index"/> as loaded from <paramref name="baseManifest"/> — as a new segment, compacting when the
    /// manifest would list more than the policy's segments, and writes the run's manifest; <see cref="PublishAsync"/>
    /// points the model at it later.</summary>
    public static async Task<IndexManifest> SaveAsync(
        IDataStore store, string model, string runId, LshIndex index, IndexManifest? baseManifest, PreparedDrop keptOf, IndexPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(keptOf);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        var segments = new List<IndexSegment>(baseManifest?.Segments ?? []);
        if (keptOf.KeptCount > 0)
        {
            segments.Add(new IndexSegment(IndexLayout.DropSegment(runId), keptOf.KeptCount));
        }

        if (segments.Count > policy.MaxSegments)
        {
            // The index is in memory already: merging costs one write of it, and no read.
            segments = [new IndexSegment(IndexLayout.CompactedSegment(runId), index.Count + keptOf.KeptCount)];
            await WriteSegmentAsync(store, model, segments[0].Path, stream => index.Save(stream, keptOf), cancellationToken);
        }
        else if (keptOf.KeptCount > 0)
        {
            await WriteSegmentAsync(store, model, segments[^1].Path, stream => index.Save(stream, keptOf, firstEntry: index.Count), cancellationToken);
        }

        // The manifest last: one that exists names segments that are whole.
        var manifest = new IndexManifest(runId, baseManifest?.Run, segments);
        await manifest.WriteAsync(store, model, cancellationToken);
        return manifest;
    }

    /// <summary>Points the model's index at this run's (once the run's outputs are all written); throws, leaving the
    /// pointer where it was, when the run's index is not all there.</summary>
    public static async Task PublishAsync(IDataStore store, string model, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        IndexManifest? manifest = await IndexManifest.ReadAsync(store, model, runId, cancellationToken);

        // No manifest: a run whose fan-in ran before segments (an upgrade mid-run) saved its whole index instead.
        IEnumerable<string> needed = manifest?.Segments.Select(s => s.Path) ?? [IndexLayout.LegacyIndex(runId)];
        foreach (string path in needed)
        {
            Stream? segment = await store.OpenReadAsync(PipelineStorage.Curated, IndexLayout.InModel(model, path), cancellationToken);
            if (segment is null)
            {
                throw new InvalidOperationException(
                    $"the near-duplicate index of run {runId} is not whole ({IndexLayout.InModel(model, path)} is missing): the model's index stays on its earlier run; run the drop again");
            }

            await segment.DisposeAsync();
        }

        await store.WriteAsync(PipelineStorage.Curated, IndexLayout.Latest(model), BinaryData.FromString(runId), cancellationToken);
    }

    /// <summary>The run whose index is the model's, or null before the first.</summary>
    public static async Task<string?> LatestAsync(IDataStore store, string model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Trimmed((await store.ReadAsync(PipelineStorage.Curated, IndexLayout.Latest(model), cancellationToken))?.ToString());
    }

    static string? Trimmed(string? run) => string.IsNullOrWhiteSpace(run) ? null : run.Trim();

    /// <summary>Reads a segment: as a new index when <paramref name="index"/> is null (with room for
    /// <paramref name="capacity"/> entries), else after its entries; null when the segment does not exist.</summary>
    static async Task<LshIndex?> LoadSegmentAsync(IDataStore store, string model, string path, LshIndex? index, long capacity, CancellationToken cancellationToken)
    {
        Stream? saved = await store.OpenReadAsync(PipelineStorage.Curated, IndexLayout.InModel(model, path), cancellationToken);
        if (saved is null)
        {
            return null;
        }

        await using (saved)
        {
            try
            {
                if (index is null)
                {
                    return LshIndex.Load(saved, capacity);
                }

                index.AppendSegment(saved);
                return index;
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{IndexLayout.InModel(model, path)}: {e.Message}", e);
            }
        }
    }

    static async Task WriteSegmentAsync(IDataStore store, string model, string path, Action<Stream> save, CancellationToken cancellationToken)
    {
        Stream target = await store.OpenWriteAsync(PipelineStorage.Curated, IndexLayout.InModel(model, path), cancellationToken);
        await using (target)
        {
            save(target);
        }
    }
}
