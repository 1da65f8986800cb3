namespace GenAiServerless.Triggers;

/// <summary>A blob name inside the <c>incoming</c> container, split into the model it is for (the first path segment)
/// and the whole name: the one split every blob trigger uses, on Azure Functions and in the local host.</summary>
/// <param name="Model">The first path segment, or <see cref="NoModel"/> for a blob directly in <c>incoming/</c>.</param>
/// <param name="BlobName">The blob's whole name inside <c>incoming</c>, e.g. <c>tinylm/b1/part.jsonl</c>.</param>
public readonly record struct DropPath(string Model, string BlobName)
{
    /// <summary>The model of a blob that sits in no folder. It breaks the model naming rule, so it never names a known
    /// model and the starter rejects the file, naming it.</summary>
    public const string NoModel = "(none)";

    /// <summary>Splits <paramref name="blobName"/> at its first '/': <c>tinylm/b1/part.jsonl</c> is model <c>tinylm</c>.</summary>
    public static DropPath Parse(string blobName)
    {
        ArgumentNullException.ThrowIfNull(blobName);
        int slash = blobName.IndexOf('/', StringComparison.Ordinal);
        return new DropPath(slash > 0 ? blobName[..slash] : NoModel, blobName);
    }
}
