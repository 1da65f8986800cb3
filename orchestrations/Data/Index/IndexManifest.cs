using System.Text.Json;
using GenAiServerless.Platform;

namespace GenAiServerless.Data;

/// <summary>A run's near-duplicate index: the immutable segments it is made of, in entry order, and the run whose index
/// it extended. Written by the run's fan-in to <see cref="IndexLayout.Manifest"/>; the model's index is the manifest of
/// the run <see cref="IndexLayout.Latest"/> names.</summary>
/// <param name="Base">The run whose index this one extended; null for the model's first.</param>
public sealed record IndexManifest(string Run, string? Base, IReadOnlyList<IndexSegment> Segments)
{
    /// <summary>Entries in all the segments.</summary>
    public long Entries => Segments.Sum(s => (long)s.Entries);

    /// <summary>The manifest of <paramref name="runId"/>, or null when the run wrote none (a run of the layout before
    /// segments, or one whose fan-in never ran); throws <see cref="InvalidDataException"/> naming the blob when it is damaged.</summary>
    public static async Task<IndexManifest?> ReadAsync(IDataStore store, string model, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string path = IndexLayout.Manifest(model, runId);
        BinaryData? saved = await store.ReadAsync(PipelineStorage.Curated, path, cancellationToken);
        if (saved is null)
        {
            return null;
        }

        IndexManifest? manifest;
        try
        {
            manifest = saved.ToObjectFromJson(DataJson.Indented.IndexManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an index manifest ({e.Message})", e);
        }

        if (manifest?.Segments is null || manifest.Run != runId)
        {
            throw new InvalidDataException($"{path}: not the index manifest of run {runId}");
        }

        foreach (IndexSegment? segment in manifest.Segments)
        {
            if (segment is null || !IndexLayout.IsSegmentPath(segment.Path) || segment.Entries < 0)
            {
                throw new InvalidDataException($"{path}: '{segment?.Path}' ({segment?.Entries} entries) is not a segment of the model's index");
            }
        }

        return manifest;
    }

    public Task WriteAsync(IDataStore store, string model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.WriteAsync(PipelineStorage.Curated, IndexLayout.Manifest(model, Run), BinaryData.FromObjectAsJson(this, DataJson.Indented.IndexManifest), cancellationToken);
    }
}

/// <summary>One immutable segment of an index: a saved <see cref="Dedup.LshIndex"/> of <paramref name="Entries"/> entries.</summary>
/// <param name="Path">Inside the model's folder (<see cref="IndexLayout"/>).</param>
public sealed record IndexSegment(string Path, int Entries);
