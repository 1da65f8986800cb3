using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace GenAiServerless.Platform;

/// <summary>What <see cref="BlobRecord.UpdateAsync"/> does with the blob after its caller has read it.</summary>
/// <param name="Write">The new content, or null to write nothing.</param>
/// <param name="Delete">Delete the blob (when it exists) instead of writing it.</param>
/// <param name="Result">What the update answers its caller, once the change (if any) is stored.</param>
public readonly record struct BlobChange<TResult>(BinaryData? Write, bool Delete, TResult Result);

/// <summary>The three decisions a <see cref="BlobRecord.UpdateAsync"/> caller makes.</summary>
public static class BlobChange
{
    /// <summary>Leave the blob as it is.</summary>
    public static BlobChange<TResult> Keep<TResult>(TResult result) => new(null, false, result);

    /// <summary>Write <paramref name="content"/> over what was read.</summary>
    public static BlobChange<TResult> Put<TResult>(BinaryData content, TResult result) => new(content, false, result);

    /// <summary>Delete what was read.</summary>
    public static BlobChange<TResult> Remove<TResult>(TResult result) => new(null, true, result);
}

/// <summary>A small record kept in one blob and changed under optimistic concurrency: read it with its ETag, decide,
/// then write (If-Match, or If-None-Match: * when it did not exist) or delete (If-Match); when another writer changed it
/// in between, read again and decide again, so no change is lost. The model's slot, its alias history and its drift
/// cooldown are such records.</summary>
public static class BlobRecord
{
    /// <summary>Applies <paramref name="decide"/> to the blob's current content (null when there is none) until its
    /// change is stored over the content it was decided on.</summary>
    /// <param name="what">What the change does, for the error after <paramref name="maxConflicts"/> lost races.</param>
    /// <exception cref="InvalidOperationException">Other writers won <paramref name="maxConflicts"/> times in a row.</exception>
    public static async Task<TResult> UpdateAsync<TResult>(
        BlobClient blob, Func<BinaryData?, Task<BlobChange<TResult>>> decide, int maxConflicts, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(decide);
        for (int conflict = 0; conflict < maxConflicts; conflict++)
        {
            (BinaryData? content, ETag? etag) = await ReadAsync(blob, cancellationToken);
            BlobChange<TResult> change = await decide(content);
            try
            {
                if (change.Delete && etag is { } current)
                {
                    await blob.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = current }, cancellationToken: cancellationToken);
                }
                else if (!change.Delete && change.Write is { } write)
                {
                    var conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All };
                    await blob.UploadAsync(write, new BlobUploadOptions { Conditions = conditions }, cancellationToken);
                }

                return change.Result;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                // changed (or created, or deleted) by someone else since the read: read again and decide again
            }
        }

        throw new InvalidOperationException($"Could not {what}: {maxConflicts} concurrent changes of {blob.Name} won over it.");
    }

    /// <summary>The blob's content and ETag, or (null, null) when it does not exist.</summary>
    public static async Task<(BinaryData? Content, ETag? ETag)> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        try
        {
            BlobDownloadResult current = await blob.DownloadContentAsync(cancellationToken);
            return (current.Content, current.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, null);
        }
    }
}
