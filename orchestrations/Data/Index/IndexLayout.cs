namespace GenAiServerless.Data;

/// <summary>Where the model's near-duplicate index lives in the curated area. Paths inside a model are relative to its
/// folder (<c>{model}/</c>): that is how a manifest names its segments.</summary>
/// <remarks>Run ids are instance ids (letters, digits, dashes), so <c>{run}.bin</c> and <c>{run}.compacted.bin</c>
/// never name the same segment.</remarks>
public static class IndexLayout
{
    /// <summary>Everything of the index in the new layout, below the model's folder.</summary>
    public const string Folder = "_index/";

    public const string Segments = Folder + "segments/";

    public const string Manifests = Folder + "runs/";

    /// <summary>The run whose index manifest is the model's index.</summary>
    public static string Latest(string model) => $"{model}/{Folder}latest.txt";

    /// <summary>The index manifest of <paramref name="runId"/>: the segments its index is made of, in entry order.</summary>
    public static string Manifest(string model, string runId) => $"{model}/{Manifests}{runId}.json";

    /// <summary>The segment of the records the run's drop added to the index.</summary>
    public static string DropSegment(string runId) => $"{Segments}{runId}.bin";

    /// <summary>The segment a run's compaction wrote: every entry of its index, in order.</summary>
    public static string CompactedSegment(string runId) => $"{Segments}{runId}.compacted.bin";

    /// <summary>Before segments (format 1 and 2): each run saved its whole index here, its base run beside it.</summary>
    public static string LegacyIndex(string runId) => $"{runId}/lsh-index.bin";

    public static string LegacyBase(string runId) => $"{runId}/lsh-index.base.txt";

    /// <summary>A path inside the model's folder, as the store names it.</summary>
    public static string InModel(string model, string path) => $"{model}/{path}";

    /// <summary>Whether a manifest may name <paramref name="path"/> as a segment: one of ours or a legacy whole index,
    /// inside the model's folder.</summary>
    public static bool IsSegmentPath(string path) =>
        !string.IsNullOrEmpty(path) && !path.StartsWith('/') && !path.Contains("..", StringComparison.Ordinal) && !path.Contains('\\', StringComparison.Ordinal)
        && ((path.StartsWith(Segments, StringComparison.Ordinal) && path.EndsWith(".bin", StringComparison.Ordinal))
            || (path.EndsWith("/lsh-index.bin", StringComparison.Ordinal) && path.Count(c => c == '/') == 1));
}
