using System.Text.Json;
using DurableTask.Core.Exceptions;
using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Triggers;

/// <summary>The one starter behind every trigger, on Azure Functions and in the local host alike: validate the input,
/// map it to a request record, derive a deterministic instance id and schedule the orchestration.</summary>
/// <remarks>Idempotent: an input seen before maps to the same instance id, and an instance that exists in any state
/// is never scheduled again (the engine would otherwise replace a running one).</remarks>
public sealed partial class PipelineStarter(
    DurableTaskClient client,
    PipelineRequestFactory requests,
    PipelineStorage storage,
    IModelRegistry registry,
    IOptions<PipelineOptions> options,
    ILogger<PipelineStarter> logger,
    IOptions<DriftAlertOptions>? driftAlerts = null,
    TimeProvider? clock = null)
{
    /// <summary>The longest blob name storage takes.</summary>
    const int MaxBlobName = 1024;

    static readonly OrchestrationRuntimeStatus[] ActiveStatuses =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    /// <summary>A file landed in <c>incoming/{model}/…</c>.</summary>
    /// <param name="blobName">The blob's name inside the <c>incoming</c> container, e.g. <c>tinylm/batch-1.jsonl</c>.</param>
    public async Task<TriggerOutcome> StartForDropAsync(string model, string blobName, string etag, long length, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobName);
        string where = $"{PipelineStorage.Incoming}/{blobName}";

        // A file in a subfolder belongs to a folder drop: one run for the whole folder, once its _SUCCESS marker lands
        // (unless the folder is hidden or temporary itself, such as Spark's _temporary/).
        bool inModelFolder = blobName.StartsWith(model + "/", StringComparison.Ordinal);
        bool inSubfolder = inModelFolder && blobName.IndexOf('/', model.Length + 1) > 0;
        string folder = string.Empty;
        bool folderMarker = inSubfolder && Data.Inputs.FolderDrop.IsSuccessMarker(blobName, out folder) && !Data.Inputs.FolderDrop.IsHidden(folder);

        // Markers, checksums and hidden files are never data, wherever they land: a _SUCCESS a job wrote beside its files
        // in the model's folder, .DS_Store, .part-0.crc, anything under _temporary/.
        if (!folderMarker && Data.Inputs.FolderDrop.IsHidden(blobName))
        {
            return new TriggerOutcome(TriggerOutcomeKind.Accepted, null,
                $"{where} ignored: a marker or hidden file (a file or folder name starting with '_' or '.') is never data");
        }

        if (!options.Value.IsKnown(model))
        {
            return await RejectFileAsync(where, blobName, $"unknown model '{model}' in {where}: known models are {Known()}", cancellationToken);
        }

        if (folderMarker)
        {
            return await StartForFolderAsync(model, folder, etag, cancellationToken);
        }

        if (inSubfolder)
        {
            return new TriggerOutcome(TriggerOutcomeKind.Accepted, null,
                $"{where} is part of the folder drop {PipelineStorage.Incoming}/{blobName[..(blobName.LastIndexOf('/') + 1)]}: its run starts when the folder's _SUCCESS marker arrives");
        }

        if (length == 0)
        {
            return await RejectFileAsync(where, blobName, $"{where} is empty (0 bytes): nothing to curate", cancellationToken);
        }

        string id = InstanceIds.ForDrop(model, blobName, etag);
        PipelineRequest request = requests.Create(model, PipelineTrigger.DataDrop, [new DropBlob(blobName, etag, length)], $"data dropped: {where}");
        return await ScheduleAsync(nameof(ModelPipelineOrchestrator), id, request, cancellationToken);
    }

    /// <summary>A folder's <c>_SUCCESS</c> marker landed: one run over every data file of the folder.</summary>
    async Task<TriggerOutcome> StartForFolderAsync(string model, string folder, string markerETag, CancellationToken cancellationToken)
    {
        string where = $"{PipelineStorage.Incoming}/{folder}";
        var listing = new Dictionary<string, (string ETag, long Length)>(StringComparer.Ordinal);
        await foreach (Azure.Storage.Blobs.Models.BlobItem item in storage.Container(PipelineStorage.Incoming)
            .GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = folder }, cancellationToken))
        {
            listing[item.Name] = (item.Properties.ETag?.ToString() ?? string.Empty, item.Properties.ContentLength ?? 0);
        }

        Data.Inputs.FolderDrop drop = Data.Inputs.FolderDrop.FromListing(folder, listing.Keys);
        if (drop.Files.Count == 0)
        {
            return await RejectFileAsync(where, folder + Data.Inputs.FolderDrop.SuccessMarker, $"folder drop {where} has a _SUCCESS marker but no data files", cancellationToken);
        }

        List<DropBlob> drops = drop.Files.Select(f => new DropBlob(f, listing[f].ETag, listing[f].Length)).ToList();
        string id = InstanceIds.ForDrop(model, folder + Data.Inputs.FolderDrop.SuccessMarker, markerETag);
        PipelineRequest request = requests.Create(model, PipelineTrigger.DataDrop, drops, $"folder dropped: {where} ({drops.Count} files)");
        return await ScheduleAsync(nameof(ModelPipelineOrchestrator), id, request, cancellationToken);
    }

    /// <summary>A schedule slot fired: retrain every known model on its curated data.</summary>
    public async Task<IReadOnlyList<TriggerOutcome>> StartScheduledAsync(DateTimeOffset slot, CancellationToken cancellationToken)
    {
        var outcomes = new List<TriggerOutcome>();
        foreach (string model in options.Value.Models)
        {
            PipelineRequest request = requests.Create(model, PipelineTrigger.Schedule, [], $"scheduled retraining, slot {slot:u}");
            outcomes.Add(await ScheduleAsync(nameof(ModelPipelineOrchestrator), InstanceIds.ForSchedule(model, slot), request, cancellationToken));
        }

        return outcomes;
    }

    /// <summary>A drift alert arrived on the <c>drift-alerts</c> queue.</summary>
    public async Task<TriggerOutcome> StartForDriftAlertAsync(string payload, CancellationToken cancellationToken)
    {
        DriftAlert? alert = DriftAlertParser.TryParse(payload, out string error);
        if (alert is null)
        {
            return await RejectAlertAsync(payload, $"drift alert rejected: {error}", cancellationToken);
        }

        // A resolved alert starts nothing, whichever model it names: it is not an error to quarantine.
        if (!alert.Fired)
        {
            return new TriggerOutcome(TriggerOutcomeKind.Accepted, null, $"alert {alert.AlertId} resolved: nothing to do");
        }

        if (ModelOf(alert.Model) is not { } model)
        {
            return await RejectAlertAsync(payload, $"drift alert {alert.AlertId} names unknown model '{alert.Model}': known models are {Known()}", cancellationToken);
        }

        alert = alert with { Model = model };

        PipelineRequest request = requests.Create(alert.Model, PipelineTrigger.DriftAlert, [], $"drift alert '{alert.Rule}' ({alert.Severity})");
        string id = InstanceIds.ForDriftAlert(alert.Model, alert.AlertId);
        TimeSpan cooldown = driftAlerts?.Value.Cooldown ?? TimeSpan.Zero;
        if (cooldown <= TimeSpan.Zero || await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            // No storm guard, or this alert was delivered before: the run it started answers (the starter is idempotent).
            return await ScheduleAsync(nameof(ModelPipelineOrchestrator), id, request, cancellationToken);
        }

        DriftCooldownClaim claim = await DriftCooldown.ClaimAsync(storage, model, id, (clock ?? TimeProvider.System).GetUtcNow(), cooldown, cancellationToken);
        if (!claim.Granted)
        {
            return new TriggerOutcome(TriggerOutcomeKind.Accepted, claim.Holder,
                $"drift alert {alert.AlertId} starts nothing: {model} is in its drift cooldown ({cooldown}) after run {claim.Holder}, until {claim.Until:u}");
        }

        try
        {
            return await ScheduleAsync(nameof(ModelPipelineOrchestrator), id, request, cancellationToken);
        }
        catch
        {
            await DriftCooldown.ReleaseAsync(storage, model, id, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Roll out a chosen registered version (by number or alias) to the model's endpoint.</summary>
    /// <param name="by">The verified caller, recorded in the deployment run's input.</param>
    public async Task<TriggerOutcome> StartDeploymentAsync(string model, DeploymentCommand command, string by, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!options.Value.IsKnown(model))
        {
            return new TriggerOutcome(TriggerOutcomeKind.NotFound, null, $"unknown model '{model}': known models are {Known()}");
        }

        if (command.Version is null && string.IsNullOrWhiteSpace(command.Alias))
        {
            return new TriggerOutcome(TriggerOutcomeKind.Rejected, null, "the body must name a 'version' (number) or an 'alias'");
        }

        if (command.Version is <= 0)
        {
            return new TriggerOutcome(TriggerOutcomeKind.Rejected, null, $"'version' must be a positive number, got {command.Version}");
        }

        ModelVersionInfo? version = command.Version is { } v
            ? await registry.GetVersionAsync(model, v, cancellationToken)
            : await registry.GetAliasAsync(model, command.Alias!, cancellationToken);
        if (version is null)
        {
            return new TriggerOutcome(TriggerOutcomeKind.NotFound, null,
                $"{model} has no {(command.Version is { } n ? $"version {n}" : $"alias '{command.Alias}'")} in the registry");
        }

        // The request id is the idempotency key: the same key again is a retry of that request and starts nothing new.
        // Without one every request is a new deployment (a redeploy of the same version after a rollback, say).
        string key = string.IsNullOrWhiteSpace(command.RequestId) ? Guid.NewGuid().ToString("N") : command.RequestId;
        string id = InstanceIds.ForDeployment(model, version.Version, key);
        TriggerOutcome outcome = await ScheduleAsync(nameof(DeploymentOrchestrator), id, new DeploymentRequest(version, requests.Rollout(), by), cancellationToken);
        return outcome.Kind == TriggerOutcomeKind.AlreadyStarted
            ? outcome with { Message = $"requestId '{key}' was sent before for {model} v{version.Version}: {outcome.Message}" }
            : outcome;
    }

    /// <summary>Release (or reject) a run waiting at the evaluation gate.</summary>
    /// <param name="by">The verified caller: the approver the run records.</param>
    public async Task<TriggerOutcome> ApproveAsync(string instanceId, bool approved, string by, string? comment, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        OrchestrationMetadata? instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return new TriggerOutcome(TriggerOutcomeKind.NotFound, instanceId, $"no pipeline run with id '{instanceId}'");
        }

        if (instance.Name != nameof(ModelPipelineOrchestrator) || !instance.IsRunning || !IsAwaitingApproval(instance.SerializedCustomStatus))
        {
            return new TriggerOutcome(TriggerOutcomeKind.Conflict, instanceId,
                $"'{instanceId}' is a {instance.Name} in state {instance.RuntimeStatus} and not waiting for approval: only a pipeline run waiting at the gate can be approved or rejected");
        }

        var decision = new ApprovalDecision(approved, by, comment ?? string.Empty);
        await client.RaiseEventAsync(instanceId, ModelPipelineOrchestrator.ApprovalEvent, decision, cancellationToken);
        return new TriggerOutcome(TriggerOutcomeKind.Accepted, instanceId, $"{(decision.Approved ? "approval" : "rejection")} by {decision.By} sent to {instanceId}");
    }

    /// <summary>Whether a pipeline's custom status says it waits at the gate for a human.</summary>
    static bool IsAwaitingApproval(string? customStatus)
    {
        try
        {
            PipelineProgress? progress = string.IsNullOrEmpty(customStatus) ? null : JsonSerializer.Deserialize<PipelineProgress>(customStatus, JsonSerializerOptions.Web);
            return progress is { Current: PipelineStage.Evaluation }
                && progress.Stages.Any(s => s.Stage == PipelineStage.Evaluation && s.Detail.StartsWith(ModelPipelineOrchestrator.AwaitingApproval, StringComparison.Ordinal));
        }
        catch (JsonException)
        {
            return false; // not a pipeline's progress
        }
    }

    /// <summary>Raises an operator's <see cref="RolloutCommand"/> on the rollout of <paramref name="runId"/> (a pipeline
    /// or deployment run); the rollout must be running.</summary>
    public async Task<TriggerOutcome> SendRolloutCommandAsync(string runId, RolloutAction action, string by, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        if (await client.GetInstanceAsync(runId, getInputsAndOutputs: false, cancellationToken) is null)
        {
            return new TriggerOutcome(TriggerOutcomeKind.NotFound, runId, $"no pipeline or deployment run with id '{runId}'");
        }

        string rollout = RolloutCommand.InstanceIdFor(runId);
        OrchestrationMetadata? instance = await client.GetInstanceAsync(rollout, getInputsAndOutputs: false, cancellationToken);
        if (instance is not { IsRunning: true })
        {
            return new TriggerOutcome(TriggerOutcomeKind.Conflict, rollout,
                $"run '{runId}' has no rollout in progress ({(instance is null ? "none started" : $"{rollout} is {instance.RuntimeStatus}")}): nothing to {action.ToString().ToLowerInvariant()}");
        }

        await client.RaiseEventAsync(rollout, RolloutCommand.EventName, new RolloutCommand(action, by), cancellationToken);
        return new TriggerOutcome(TriggerOutcomeKind.Accepted, rollout, $"{action.ToString().ToLowerInvariant()} by {by} sent to {rollout}");
    }

    /// <summary>Cancels a running pipeline: its training or evaluation job is cancelled on the backend (the job
    /// orchestration receives <see cref="Training.JobRunOrchestrator.CancelEvent"/> and the pipeline fails with the
    /// reason); a rollout in progress is rolled back (the pipeline fails as rolled back); a pipeline in any other stage
    /// is terminated, after the work it started is stopped (the champion's scoring job cancelled, the data
    /// preparation terminated), so nothing it started runs on after its model slot is handed on.</summary>
    /// <param name="by">The verified caller, named in the termination reason.</param>
    public async Task<TriggerOutcome> CancelAsync(string instanceId, string by, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        OrchestrationMetadata? instance = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return new TriggerOutcome(TriggerOutcomeKind.NotFound, instanceId, $"no pipeline run with id '{instanceId}'");
        }

        if (instance.Name != nameof(ModelPipelineOrchestrator) || !instance.IsRunning)
        {
            return new TriggerOutcome(TriggerOutcomeKind.Conflict, instanceId, $"'{instanceId}' is a {instance.Name} in state {instance.RuntimeStatus}: only a running pipeline can be cancelled");
        }

        foreach (string job in new[] { $"{instanceId}-train", $"{instanceId}-eval" })
        {
            if (await client.GetInstanceAsync(job, getInputsAndOutputs: false, cancellationToken) is { IsRunning: true })
            {
                await client.RaiseEventAsync(job, Training.JobRunOrchestrator.CancelEvent, true, cancellationToken);
                return new TriggerOutcome(TriggerOutcomeKind.Accepted, instanceId, $"cancelling {job} (asked by {by}): its job is cancelled on the backend and {instanceId} ends failed");
            }
        }

        // A rollout is not stopped half-way: traffic goes back to the previous deployment, then the pipeline fails.
        string rollout = $"{instanceId}-rollout";
        if (await client.GetInstanceAsync(rollout, getInputsAndOutputs: false, cancellationToken) is { IsRunning: true })
        {
            await client.RaiseEventAsync(rollout, RolloutCommand.EventName, new RolloutCommand(RolloutAction.Rollback, by), cancellationToken);
            return new TriggerOutcome(TriggerOutcomeKind.Accepted, instanceId, $"rolling back {rollout} (asked by {by}): traffic returns to the previous deployment and {instanceId} ends failed");
        }

        // Termination does not reach a run's children: stop them first. A cancelled champion scoring would only be
        // noted by the run (it judges without the champion's figures), so the run is terminated as well.
        var stopped = new List<string>();
        string championScoring = $"{instanceId}-eval-champion";
        if (await client.GetInstanceAsync(championScoring, getInputsAndOutputs: false, cancellationToken) is { IsRunning: true })
        {
            await client.RaiseEventAsync(championScoring, Training.JobRunOrchestrator.CancelEvent, true, cancellationToken);
            stopped.Add($"{championScoring} cancelled");
        }

        string dataPrep = $"{instanceId}-data";
        if (await client.GetInstanceAsync(dataPrep, getInputsAndOutputs: false, cancellationToken) is { IsRunning: true })
        {
            await client.TerminateInstanceAsync(dataPrep, $"cancelled by {by}", cancellationToken);
            stopped.Add($"{dataPrep} terminated");
        }

        await client.TerminateInstanceAsync(instanceId, $"cancelled by {by}", cancellationToken);
        if (instance.ReadInputAs<PipelineRequest>() is { } request)
        {
            // A terminated run runs no finally: give its model back here so the runs queued behind it go on.
            SlotRelease release = await ModelSlot.ReleaseAsync(storage, request.Model, instanceId, cancellationToken);
            if (release.HandedTo is { } next)
            {
                await client.RaiseEventAsync(next, ModelSlotClaims.GrantedEvent, request.Model, cancellationToken);
            }
        }
        return new TriggerOutcome(TriggerOutcomeKind.Accepted, instanceId, stopped.Count == 0
            ? $"{instanceId} terminated by {by} (no job was running)"
            : $"{instanceId} terminated by {by} ({string.Join(", ", stopped)})");
    }

    /// <summary>The state of any instance the starter created.</summary>
    public async Task<PipelineStatusView?> GetStatusAsync(string instanceId, CancellationToken cancellationToken)
    {
        OrchestrationMetadata? m = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken);
        if (m is null)
        {
            return null;
        }

        JsonElement? output = ParseJson(m.SerializedOutput);

        // Through the local sidecar a failed instance carries its error as plain-text output and no failure details.
        string? failure = m.FailureDetails?.ErrorMessage
            ?? (m.RuntimeStatus == OrchestrationRuntimeStatus.Failed && output is { ValueKind: JsonValueKind.String } text ? text.GetString() : null);
        JsonElement? progress = ParseJson(m.SerializedCustomStatus);
        string? stage = m.IsRunning && Member(progress, "current") is { ValueKind: JsonValueKind.String } current ? current.GetString() : null;
        double? cost = Member(Member(output, "training"), "costUsd") is { ValueKind: JsonValueKind.Number } usd ? usd.GetDouble() : null;
        return new PipelineStatusView(m.InstanceId, m.Name, m.RuntimeStatus.ToString(), m.CreatedAt, m.LastUpdatedAt, progress, output, failure, stage, cost);
    }

    /// <summary>A member of a JSON object whatever the case of its name (the engine's serialiser keeps .NET names),
    /// or null when <paramref name="obj"/> is no object or lacks it.</summary>
    static JsonElement? Member(JsonElement? obj, string name) =>
        obj is { ValueKind: JsonValueKind.Object } o
            && o.EnumerateObject().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: not JsonValueKind.Undefined } member
            ? member.Value
            : null;

    async Task<TriggerOutcome> ScheduleAsync(string orchestrator, string instanceId, object input, CancellationToken cancellationToken)
    {
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is { } existing)
        {
            return new TriggerOutcome(TriggerOutcomeKind.AlreadyStarted, instanceId, $"{instanceId} exists already ({existing.RuntimeStatus}): not started again");
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                orchestrator, input, new StartOrchestrationOptions(instanceId).WithDedupeStatuses(ActiveStatuses), cancellationToken);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            return new TriggerOutcome(TriggerOutcomeKind.AlreadyStarted, instanceId, $"{instanceId} was started concurrently: not started again");
        }

        Log.Scheduled(logger, orchestrator, instanceId);
        return new TriggerOutcome(TriggerOutcomeKind.Started, instanceId, $"started {orchestrator} {instanceId}");
    }

    async Task<TriggerOutcome> RejectFileAsync(string where, string blobName, string reason, CancellationToken cancellationToken)
    {
        // The file itself stays where it was dropped; the quarantine keeps the reason beside its name. A name too long to
        // take the suffix (blob names end at 1 024 characters) is kept under its hash; the reason's first line names it.
        string name = $"rejected-drops/{blobName}.reason.txt";
        if (name.Length > MaxBlobName)
        {
            name = $"rejected-drops/_long-names/{InstanceIds.Hash(blobName)}.reason.txt";
        }

        await storage.Container(PipelineStorage.Quarantine).GetBlobClient(name)
            .UploadAsync(BinaryData.FromString($"{where}\n{reason}\n"), overwrite: true, cancellationToken);
        Log.Rejected(logger, reason);
        return new TriggerOutcome(TriggerOutcomeKind.Rejected, null, reason);
    }

    async Task<TriggerOutcome> RejectAlertAsync(string payload, string reason, CancellationToken cancellationToken)
    {
        payload = DriftAlertParser.Decode(payload);
        string key = InstanceIds.Hash(payload);
        string name = $"alerts/{key}.json";
        await storage.Container(PipelineStorage.Quarantine).GetBlobClient(name).UploadAsync(BinaryData.FromString(payload), overwrite: true, cancellationToken);
        await storage.Container(PipelineStorage.Quarantine).GetBlobClient(name + ".reason.txt").UploadAsync(BinaryData.FromString(reason + "\n"), overwrite: true, cancellationToken);
        Log.Rejected(logger, $"{reason} (kept as {PipelineStorage.Quarantine}/{name})");
        return new TriggerOutcome(TriggerOutcomeKind.Rejected, null, $"{reason} (kept as {PipelineStorage.Quarantine}/{name})");
    }

    string Known() => string.Join(", ", options.Value.Models);

    /// <summary>The known model <paramref name="name"/> is about: the model itself, or the longest model that prefixes it
    /// followed by a dash (a drift monitor named <c>tinylm-weekly</c> watches <c>tinylm</c>).</summary>
    string? ModelOf(string name) =>
        options.Value.IsKnown(name)
            ? name
            : options.Value.Models.Where(m => name.StartsWith(m + "-", StringComparison.Ordinal)).OrderByDescending(m => m.Length).FirstOrDefault();

    /// <summary>A custom status or output as JSON. The engine keeps them as serialised text that is usually JSON, but an
    /// instance's output can be any text (a terminated instance's reason, an older format): shown as a JSON string then,
    /// never a failure of the status call.</summary>
    public static JsonElement? ParseJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json);
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled {Orchestrator} {InstanceId}")]
        public static partial void Scheduled(ILogger logger, string orchestrator, string instanceId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Trigger input rejected: {Reason}")]
        public static partial void Rejected(ILogger logger, string reason);
    }
}
