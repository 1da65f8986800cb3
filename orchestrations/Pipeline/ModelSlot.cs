using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;
using Microsoft.DurableTask;

namespace GenAiServerless.Pipeline;

/// <summary>Input of the model-slot activities: which run wants (or gives back) the model.</summary>
public sealed record SlotClaim(string Model, string RunId);

/// <summary>Whether the run holds the model's slot, and if not, which run does.</summary>
public sealed record SlotState(bool Acquired, string? Holder);

/// <summary>One active pipeline per model: a small blob (<c>registry/{model}/_active.json</c>) names the run that holds
/// the model; it is created with If-None-Match, so two runs can never both hold it. A run that finds the slot taken
/// waits (durable timers) and queues behind the holder; nothing is lost and nothing overlaps.</summary>
public static class ModelSlot
{
    public static BlobClient Blob(PipelineStorage storage, string model)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return storage.Container(PipelineStorage.Registry).GetBlobClient($"{model}/_active.json");
    }

    /// <summary>Gives the slot back if <paramref name="runId"/> holds it (idempotent).</summary>
    public static async Task ReleaseAsync(PipelineStorage storage, string model, string runId, CancellationToken cancellationToken)
    {
        BlobClient blob = Blob(storage, model);
        try
        {
            BlobDownloadResult current = await blob.DownloadContentAsync(cancellationToken);
            SlotClaim? holder = current.Content.ToObjectFromJson<SlotClaim>();
            if (holder?.RunId == runId)
            {
                await blob.DeleteIfExistsAsync(conditions: new BlobRequestConditions { IfMatch = current.Details.ETag }, cancellationToken: cancellationToken);
            }
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // already free, or taken over since: nothing of ours to release
        }
    }
}

/// <summary>Claims the model's slot for a run (idempotent: a run that holds it gets it again).</summary>
[DurableTask(nameof(ClaimModelSlot))]
public sealed class ClaimModelSlot(PipelineStorage storage) : TaskActivity<SlotClaim, SlotState>
{
    public override async Task<SlotState> RunAsync(TaskActivityContext context, SlotClaim input)
    {
        ArgumentNullException.ThrowIfNull(input);
        BlobClient blob = ModelSlot.Blob(storage, input.Model);
        try
        {
            await blob.UploadAsync(BinaryData.FromObjectAsJson(input), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } });
            return new SlotState(true, input.RunId);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            try
            {
                SlotClaim? holder = (await blob.DownloadContentAsync()).Value.Content.ToObjectFromJson<SlotClaim>();
                return new SlotState(holder?.RunId == input.RunId, holder?.RunId);
            }
            catch (RequestFailedException gone) when (gone.Status == 404)
            {
                return new SlotState(false, null); // released in between: the next try takes it
            }
        }
    }
}

/// <summary>Gives the model's slot back at the end of a run, whatever its outcome.</summary>
[DurableTask(nameof(ReleaseModelSlot))]
public sealed class ReleaseModelSlot(PipelineStorage storage) : TaskActivity<SlotClaim, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, SlotClaim input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await ModelSlot.ReleaseAsync(storage, input.Model, input.RunId, CancellationToken.None);
        return true;
    }
}

/// <summary>Queues an orchestration behind the run that holds its model's slot, with durable timers in between.</summary>
public static class ModelSlotClaims
{
    /// <summary>How long a run queues behind another run of the same model before it gives up (polls back off to
    /// <see cref="MaxPoll"/>, which bounds the history).</summary>
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromHours(48);

    static readonly TimeSpan FirstPoll = TimeSpan.FromSeconds(2);
    static readonly TimeSpan MaxPoll = TimeSpan.FromMinutes(5);

    /// <summary>Claims the slot, waiting behind its holder for up to <see cref="MaxQueueWait"/>;
    /// <paramref name="waiting"/> is told who holds it each time the run goes back to waiting.</summary>
    public static async Task<SlotState> AcquireAsync(TaskOrchestrationContext context, SlotClaim claim, Action<string?> waiting)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(waiting);
        DateTime giveUp = context.CurrentUtcDateTime + MaxQueueWait;
        TimeSpan wait = FirstPoll;
        SlotState slot = await context.CallActivityAsync<SlotState>(nameof(ClaimModelSlot), claim, PipelineRetry.Activity);
        while (!slot.Acquired && context.CurrentUtcDateTime < giveUp)
        {
            waiting(slot.Holder);
            await context.CreateTimer(context.CurrentUtcDateTime + wait, CancellationToken.None);
            wait = wait * 2 < MaxPoll ? wait * 2 : MaxPoll;
            slot = await context.CallActivityAsync<SlotState>(nameof(ClaimModelSlot), claim, PipelineRetry.Activity);
        }

        return slot;
    }
}
