using Azure.Storage.Blobs;
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
/// write of the model's record (<see cref="BlobRecord.UpdateAsync"/>), so alerts handled at once by several workers
/// start one run between them.</summary>
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
    public static Task<DriftCooldownClaim> ClaimAsync(
        PipelineStorage storage, string model, string runId, DateTimeOffset now, TimeSpan cooldown, CancellationToken cancellationToken) =>
        BlobRecord.UpdateAsync(Blob(storage, model), content =>
        {
            DriftCooldownRecord? last = Parse(content);
            BlobChange<DriftCooldownClaim> change = !DriftCooldownRecord.Allows(last, runId, now, cooldown)
                ? BlobChange.Keep(new DriftCooldownClaim(false, last!.RunId, last.StartedUtc + cooldown))
                : last?.RunId == runId
                    ? BlobChange.Keep(new DriftCooldownClaim(true, runId, last.StartedUtc + cooldown))
                    : BlobChange.Put(BinaryData.FromObjectAsJson(new DriftCooldownRecord(runId, now)), new DriftCooldownClaim(true, runId, now + cooldown));
            return Task.FromResult(change);
        }, MaxConflicts, $"claim the drift cooldown of {model}", cancellationToken);

    /// <summary>Gives the cooldown back when <paramref name="runId"/> holds it and its run could not be started, so the
    /// next alert is not turned away for a run that never existed.</summary>
    public static Task ReleaseAsync(PipelineStorage storage, string model, string runId, CancellationToken cancellationToken) =>
        BlobRecord.UpdateAsync(Blob(storage, model), content => Task.FromResult(
            Parse(content)?.RunId == runId ? BlobChange.Remove(true) : BlobChange.Keep(false)),
            MaxConflicts, $"give back the drift cooldown of {model}", cancellationToken);

    /// <summary>The stored record; none when there is no blob, or when it cannot be read (written by hand?): it holds
    /// nothing then, and the next claim overwrites it.</summary>
    static DriftCooldownRecord? Parse(BinaryData? content)
    {
        if (content is null)
        {
            return null;
        }

        try
        {
            return content.ToObjectFromJson<DriftCooldownRecord>();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
