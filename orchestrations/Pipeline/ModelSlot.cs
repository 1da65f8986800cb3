using Azure.Storage.Blobs;
using GenAiServerless.Platform;
using Microsoft.DurableTask;

namespace GenAiServerless.Pipeline;

/// <summary>Input of the model-slot activities: which run wants (or gives back) the model.</summary>
public sealed record SlotClaim(string Model, string RunId);

/// <summary>Whether the run holds the model's slot; if not, which run does and how many runs wait ahead of it.</summary>
public sealed record SlotState(bool Acquired, string? Holder, int Ahead = 0);

/// <summary>What releasing the slot did: the run it was handed to (to be woken), if one was waiting.</summary>
public sealed record SlotRelease(string? HandedTo);

/// <summary>A model's slot as stored: the run that holds it and the runs waiting for it, in arrival order.</summary>
public sealed record SlotRecord(string? Holder, IReadOnlyList<string> Waiting)
{
    public static readonly SlotRecord Free = new(null, []);

    /// <summary><paramref name="runId"/> asks for the slot: it takes a free slot nobody waits for, or one handed to it;
    /// otherwise it joins the end of the line (once).</summary>
    public (SlotRecord Next, SlotState State) Claim(string runId)
    {
        if (Holder == runId)
        {
            return (this, new SlotState(true, runId));
        }

        if (Holder is null && (Waiting.Count == 0 || Waiting[0] == runId))
        {
            return (new SlotRecord(runId, [.. Waiting.Where(w => w != runId)]), new SlotState(true, runId));
        }

        List<string> waiting = Waiting.Contains(runId) ? [.. Waiting] : [.. Waiting, runId];
        return (this with { Waiting = waiting }, new SlotState(false, Holder ?? waiting[0], waiting.IndexOf(runId)));
    }

    /// <summary><paramref name="runId"/> gives the slot back (or leaves the line): a held slot goes to the first run
    /// waiting, which the caller must wake.</summary>
    public (SlotRecord Next, SlotRelease Release) Release(string runId)
    {
        if (Holder != runId)
        {
            return (this with { Waiting = [.. Waiting.Where(w => w != runId)] }, new SlotRelease(null));
        }

        return Waiting.Count == 0
            ? (Free, new SlotRelease(null))
            : (new SlotRecord(Waiting[0], [.. Waiting.Skip(1)]), new SlotRelease(Waiting[0]));
    }
}

/// <summary>One active pipeline per model: a small blob (<c>registry/{model}/_active.json</c>) names the run that holds
/// the model and the runs waiting for it, in arrival order. Every change is a conditional write on the blob's ETag, so
/// two runs can never both hold it and no waiter is lost. The run that releases the slot hands it to the first waiter
/// and wakes it with <see cref="ModelSlotClaims.GrantedEvent"/>: queued runs start in arrival order, without gaps.</summary>
public static class ModelSlot
{
    const int MaxConflicts = 50;

    public static BlobClient Blob(PipelineStorage storage, string model)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.Container(PipelineStorage.Registry).GetBlobClient($"{model}/_active.json");
    }

    public static Task<SlotState> ClaimAsync(PipelineStorage storage, SlotClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return UpdateAsync(storage, claim.Model, record => record.Claim(claim.RunId), cancellationToken);
    }

    /// <summary>Gives the slot back, or leaves the line, for <paramref name="runId"/> (idempotent); returns the run the
    /// slot was handed to, which the caller must wake.</summary>
    public static Task<SlotRelease> ReleaseAsync(PipelineStorage storage, string model, string runId, CancellationToken cancellationToken) =>
        UpdateAsync(storage, model, record => record.Release(runId), cancellationToken);

    /// <summary>Reads the slot, applies <paramref name="change"/> and stores the result over what it read
    /// (<see cref="BlobRecord.UpdateAsync"/>); a slot left free with nobody waiting is deleted.</summary>
    static Task<T> UpdateAsync<T>(PipelineStorage storage, string model, Func<SlotRecord, (SlotRecord Next, T Result)> change, CancellationToken cancellationToken) =>
        BlobRecord.UpdateAsync(Blob(storage, model), content =>
        {
            SlotRecord current = content is null ? SlotRecord.Free : Parse(content);
            (SlotRecord next, T result) = change(current);
            BlobChange<T> decision = next == current || (next.Holder == current.Holder && next.Waiting.SequenceEqual(current.Waiting))
                ? BlobChange.Keep(result)
                : next.Holder is null && next.Waiting.Count == 0 ? BlobChange.Remove(result) : BlobChange.Put(BinaryData.FromObjectAsJson(next), result);
            return Task.FromResult(decision);
        }, MaxConflicts, $"change the slot of {model}", cancellationToken);

    /// <summary>The stored record; the format before the line existed (<c>{"model","runId"}</c>) reads as its holder.</summary>
    static SlotRecord Parse(BinaryData content)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(content);
        System.Text.Json.JsonElement root = doc.RootElement;
        if (root.TryGetProperty("runId", out System.Text.Json.JsonElement legacy))
        {
            return new SlotRecord(legacy.GetString(), []);
        }

        return content.ToObjectFromJson<SlotRecord>() ?? SlotRecord.Free;
    }
}

/// <summary>Claims the model's slot for a run, or puts it in line (idempotent: a run that holds it gets it again, a
/// run in line keeps its place).</summary>
[DurableTask(nameof(ClaimModelSlot))]
public sealed class ClaimModelSlot(PipelineStorage storage) : TaskActivity<SlotClaim, SlotState>
{
    public override Task<SlotState> RunAsync(TaskActivityContext context, SlotClaim input) =>
        ModelSlot.ClaimAsync(storage, input, CancellationToken.None);
}

/// <summary>Gives the model's slot back at the end of a run, whatever its outcome, handing it to the first run in line.</summary>
[DurableTask(nameof(ReleaseModelSlot))]
public sealed class ReleaseModelSlot(PipelineStorage storage) : TaskActivity<SlotClaim, SlotRelease>
{
    public override Task<SlotRelease> RunAsync(TaskActivityContext context, SlotClaim input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return ModelSlot.ReleaseAsync(storage, input.Model, input.RunId, CancellationToken.None);
    }
}

/// <summary>How an orchestration takes and gives back its model's slot.</summary>
public static class ModelSlotClaims
{
    /// <summary>The event a run waiting for the slot receives when the slot is handed to it.</summary>
    public const string GrantedEvent = "ModelSlotGranted";

    /// <summary>How long a run queues behind other runs of the same model before it gives up.</summary>
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromHours(48);

    /// <summary>A waiting run also checks the slot this often, should a wake-up be lost (the holder terminated by hand,
    /// say); it bounds the history too.</summary>
    static readonly TimeSpan Recheck = TimeSpan.FromMinutes(5);

    /// <summary>Claims the slot, waiting in line for up to <see cref="MaxQueueWait"/>: woken by
    /// <see cref="GrantedEvent"/> when the slot is handed over, checking again every few minutes meanwhile.
    /// <paramref name="waiting"/> is told the holder and the place in line each time the run goes back to waiting.</summary>
    public static async Task<SlotState> AcquireAsync(TaskOrchestrationContext context, SlotClaim claim, Action<SlotState> waiting)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(waiting);
        DateTime giveUp = context.CurrentUtcDateTime + MaxQueueWait;
        SlotState slot = await context.CallActivityAsync<SlotState>(nameof(ClaimModelSlot), claim, PipelineRetry.Activity);
        while (!slot.Acquired && context.CurrentUtcDateTime < giveUp)
        {
            waiting(slot);
            try
            {
                await context.WaitForExternalEvent<string>(GrantedEvent, Recheck);
            }
            catch (TaskCanceledException)
            {
                // no wake-up within the recheck interval: look at the slot anyway
            }

            slot = await context.CallActivityAsync<SlotState>(nameof(ClaimModelSlot), claim, PipelineRetry.Activity);
        }

        return slot;
    }

    /// <summary>Gives the slot back (or leaves the line) and wakes the run it was handed to.</summary>
    public static async Task ReleaseAsync(TaskOrchestrationContext context, SlotClaim claim)
    {
        ArgumentNullException.ThrowIfNull(context);
        SlotRelease release = await context.CallActivityAsync<SlotRelease>(nameof(ReleaseModelSlot), claim, PipelineRetry.Activity);
        if (release.HandedTo is { } next)
        {
            context.SendEvent(next, GrantedEvent, claim.Model);
        }
    }
}
