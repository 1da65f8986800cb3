using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;

namespace GenAiServerless.Triggers;

/// <summary>The last drift-started run of a model and when it started: <c>registry/{model}/_drift.json</c>.</summary>
public sealed record DriftCooldownRecord(string RunId, DateTimeOffset StartedUtc)
{
    /// <summary>Whether <paramref name="runId"/> may start at <paramref name="now"/>: no drift run started within the
    /// cooldown, or this run is the one that holds it (a delivery of the same alert again).</summary>
    public static bool Allows(DriftCooldownRecord? last, string runId, DateTimeOffset now, TimeSpan cooldown) =>
        last is null || last.RunId == runId || now >= last.StartedUtc + cooldown;
}

/// <summary>What <see cref="DriftCooldown.ClaimAsync"/> decided.</summary>
/// <param name="Granted">The run may start.</param>
/// <param name="Holder">The drift run the cooldown belongs to (this one when granted).</param>
/// <param name="Until">When the next drift run may start.</param>
public sealed record DriftCooldownClaim(bool Granted, string Holder, DateTimeOffset Until);

/// <summary>The storm guard of drift alerts: one drift-started run per model per cooldown. The claim is a conditional
/// write of the model's record (If-Match, or If-None-Match when there is none), so alerts handled at once by several
/// workers start one run between them.</summary>
public static class DriftCooldown
{
    const int MaxConflicts = 50;

    public static BlobClient Blob(PipelineStorage storage, string model)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.Container(PipelineStorage.Registry).GetBlobClient($"{model}/_drift.json");
    }

    /// <summary>Claims the cooldown of <paramref name="model"/> for <paramref name="runId"/> at <paramref name="now"/>,
    /// unless another drift run holds it.</summary>
    public static async Task<DriftCooldownClaim> ClaimAsync(
        PipelineStorage storage, string model, string runId, DateTimeOffset now, TimeSpan cooldown, CancellationToken cancellationToken)
    {
        BlobClient blob = Blob(storage, model);
        for (int conflict = 0; ; conflict++)
        {
            (DriftCooldownRecord? last, ETag? etag) = await ReadAsync(blob, cancellationToken);
            if (!DriftCooldownRecord.Allows(last, runId, now, cooldown))
            {
                return new DriftCooldownClaim(false, last!.RunId, last.StartedUtc + cooldown);
            }

            if (last?.RunId == runId)
            {
                return new DriftCooldownClaim(true, runId, last.StartedUtc + cooldown);
            }

            try
            {
                var conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All };
                await blob.UploadAsync(BinaryData.FromObjectAsJson(new DriftCooldownRecord(runId, now)), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
                return new DriftCooldownClaim(true, runId, now + cooldown);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && conflict < MaxConflicts)
            {
                // another alert wrote first: read again and judge against its run
            }
        }
    }

    /// <summary>Gives the cooldown back when <paramref name="runId"/> holds it and its run could not be started, so the
    /// next alert is not turned away for a run that never existed.</summary>
    public static async Task ReleaseAsync(PipelineStorage storage, string model, string runId, CancellationToken cancellationToken)
    {
        BlobClient blob = Blob(storage, model);
        (DriftCooldownRecord? last, ETag? etag) = await ReadAsync(blob, cancellationToken);
        if (last?.RunId == runId && etag is { } e)
        {
            try
            {
                await blob.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = e }, cancellationToken: cancellationToken);
            }
            catch (RequestFailedException ex) when (ex.Status is 404 or 412)
            {
                // changed since the read: another alert holds it now
            }
        }
    }

    static async Task<(DriftCooldownRecord? Record, ETag? ETag)> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            BlobDownloadResult current = await blob.DownloadContentAsync(cancellationToken);
            try
            {
                return (current.Content.ToObjectFromJson<DriftCooldownRecord>(), current.Details.ETag);
            }
            catch (System.Text.Json.JsonException)
            {
                // Unreadable (written by hand?): it holds nothing, and the next claim overwrites it.
                return (null, current.Details.ETag);
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (null, null);
        }
    }
}
