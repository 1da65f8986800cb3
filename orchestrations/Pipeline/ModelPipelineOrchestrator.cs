using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using Microsoft.DurableTask;

namespace GenAiServerless.Pipeline;

/// <summary>The whole pipeline for one model: Data → Training → Evaluation gate → Registry → Rollout.</summary>
/// <remarks>Deterministic: every side effect is an activity or a sub-orchestration, every id derives from the
/// instance id, every policy comes from the request. Stage reports are kept in the custom status as it goes.</remarks>
[DurableTask(nameof(ModelPipelineOrchestrator))]
public sealed class ModelPipelineOrchestrator : TaskOrchestrator<PipelineRequest, PipelineResult>
{
    public const string ApprovalEvent = "Approval";

    public static readonly string[] StageNames = ["data", "training", "evaluation", "registry", "rollout"];

    /// <summary>How long a run queues behind another run of the same model before it gives up (polls back off to
    /// <see cref="MaxSlotPollSeconds"/>, which bounds the history).</summary>
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromHours(48);

    const int MaxSlotPollSeconds = 300;

    public override async Task<PipelineResult> RunAsync(TaskOrchestrationContext context, PipelineRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new RunTracker(context, input.Model);
        var claim = new SlotClaim(input.Model, context.InstanceId);

        // One active pipeline per model: queue behind the run that holds the model.
        DateTime giveUp = context.CurrentUtcDateTime + MaxQueueWait;
        int wait = 2;
        SlotState slot = await context.CallActivityAsync<SlotState>(nameof(ClaimModelSlot), claim, PipelineRetry.Activity);
        while (!slot.Acquired && context.CurrentUtcDateTime < giveUp)
        {
            run.Update("data", $"queued behind {slot.Holder ?? "another run"} of {input.Model}");
            await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(wait), CancellationToken.None);
            wait = Math.Min(MaxSlotPollSeconds, wait * 2);
            slot = await context.CallActivityAsync<SlotState>(nameof(ClaimModelSlot), claim, PipelineRetry.Activity);
        }

        if (!slot.Acquired)
        {
            return run.Fail("data", $"{input.Model} stayed busy with {slot.Holder} for {MaxQueueWait.TotalHours:F0} h");
        }

        try
        {
            return await RunStagesAsync(context, input, run);
        }
        finally
        {
            await context.CallActivityAsync<bool>(nameof(ReleaseModelSlot), claim, PipelineRetry.Activity);
        }
    }

    static async Task<PipelineResult> RunStagesAsync(TaskOrchestrationContext context, PipelineRequest input, RunTracker run)
    {
        string runId = context.InstanceId;
        DataPrepResult? data = null;
        JobOutcome? training = null;
        GateDecision? gate = null;
        ModelVersionInfo? version = null;
        RolloutResult? rollout = null;

        try
        {
            // Data
            run.Start("data");
            IReadOnlyList<string> datasets;
            if (input.Drops.Count > 0)
            {
                data = await context.CallSubOrchestratorAsync<DataPrepResult>(
                    nameof(DataPrepOrchestrator), new DataPrepInput(input.Model, runId, input.Drops, input.Data), new SubOrchestrationOptions { InstanceId = $"{runId}-data" });
                if (data.TrainRecords == 0)
                {
                    return run.Fail("data", $"no trainable records: {data.RecordsRead} read, {data.RecordsQuarantined} quarantined"
                        + (data.QuarantinedFiles.Count > 0 ? $", bad files: {string.Join("; ", data.QuarantinedFiles)}" : string.Empty), data);
                }

                run.Succeed("data", $"{data.RecordsCurated} curated ({data.TrainRecords}/{data.ValidationRecords}/{data.TestRecords} train/val/test), "
                    + $"{data.RecordsQuarantined} quarantined, {data.RecordsFiltered} filtered, {data.ExactDuplicates} exact + {data.NearDuplicates} near duplicates, {data.QuarantinedFiles.Count} bad files");
                datasets = [data.DatasetPrefix];
            }
            else
            {
                datasets = await context.CallActivityAsync<IReadOnlyList<string>>(nameof(ListCuratedDatasets), input.Model, PipelineRetry.Activity);
                if (datasets.Count == 0)
                {
                    run.Skip("data", "no curated data for this model yet");
                    return run.Finish(true, $"nothing to retrain: {input.Reason}", null, null, null, null, null);
                }

                run.Skip("data", $"retraining on {datasets.Count} curated dataset(s): {input.Reason}");
            }

            // Training
            run.Start("training");
            TrainingCompute compute = await context.CallActivityAsync<TrainingCompute>(nameof(SelectTrainingCompute), input.Training.Compute, PipelineRetry.Activity);
            run.Update("training", $"{compute.Offer.Sku} in {compute.Offer.Region} ({(compute.Offer.Spot ? "spot" : "on-demand")}, ${compute.Offer.PricePerHour}/h)");
            if (compute.Offer.Spot && input.Training.MaxPriceWaitHours > 0)
            {
                PriceWindow window = await context.CallActivityAsync<PriceWindow>(
                    nameof(PlanPriceWindow),
                    new PriceWindowQuery(compute.Offer.Sku, compute.Offer.Region, compute.Offer.PricePerHour, input.Training.MaxPriceWaitHours, input.Training.MinPriceSaving),
                    PipelineRetry.Activity);
                DateTime latest = context.CurrentUtcDateTime.AddHours(input.Training.MaxPriceWaitHours);
                if (window.StartUtc > context.CurrentUtcDateTime)
                {
                    run.Update("training", window.Reason);
                    await context.CreateTimer(window.StartUtc < latest ? window.StartUtc : latest, CancellationToken.None);
                }
            }

            training = await context.CallSubOrchestratorAsync<JobOutcome>(
                nameof(JobRunOrchestrator),
                new JobRunRequest(input.Model, JobKind.Train, $"{runId}-train", datasets, null, compute.Offer, compute.OnDemandPricePerHour,
                    input.Training.Hyperparameters, input.Training.RestartBudget, input.Training.PollSeconds, input.Training.MaxPollSeconds,
                    input.Training.InjectEvictionAtProgress, input.Training.Compute.ExpectedHours, input.Training.Compute.DeadlineHours,
                    input.Training.FallbackToDedicated),
                new SubOrchestrationOptions { InstanceId = $"{runId}-train" });
            run.Succeed("training", $"{training.JobId}: {training.Attempts} attempt(s), {training.Evictions} eviction(s), "
                + $"validation perplexity {Metric(training, "validation_perplexity")}, cost ${training.CostUsd:0.######} vs ${training.OnDemandCostUsd:0.######} on demand");

            // Evaluation gate
            run.Start("evaluation");
            JobOutcome evaluation = await context.CallSubOrchestratorAsync<JobOutcome>(
                nameof(JobRunOrchestrator),
                new JobRunRequest(input.Model, JobKind.Evaluate, $"{runId}-eval", datasets, training.OutputPrefix, compute.Offer, compute.OnDemandPricePerHour,
                    new Dictionary<string, string>(), input.Training.RestartBudget, input.Training.PollSeconds, input.Training.MaxPollSeconds, null),
                new SubOrchestrationOptions { InstanceId = $"{runId}-eval" });
            ModelVersionInfo? champion = await context.CallActivityAsync<ModelVersionInfo?>(
                nameof(GetModelVersion), new ModelVersionQuery(input.Model, null, "champion"), PipelineRetry.Activity);
            gate = await context.CallActivityAsync<GateDecision>(nameof(DecideGate), new GateInput(input.Model, evaluation, champion, input.Evaluation), PipelineRetry.Activity);
            if (!gate.Passed)
            {
                return run.Fail("evaluation", "gate failed: " + string.Join("; ", gate.Reasons), data, training, gate);
            }

            if (input.Evaluation.RequireApproval)
            {
                run.Update("evaluation", "waiting for approval (POST /api/pipelines/{id}/approve)");
                ApprovalDecision approval;
                try
                {
                    approval = await context.WaitForExternalEvent<ApprovalDecision>(ApprovalEvent, TimeSpan.FromMinutes(input.Evaluation.ApprovalTimeoutMinutes));
                }
                catch (TaskCanceledException)
                {
                    return run.Fail("evaluation", $"no approval within {input.Evaluation.ApprovalTimeoutMinutes} min", data, training, gate);
                }

                if (!approval.Approved)
                {
                    return run.Fail("evaluation", $"rejected by {approval.By}: {approval.Comment}", data, training, gate);
                }
            }

            run.Succeed("evaluation", string.Join("; ", gate.Reasons));

            // Registry
            run.Start("registry");
            var metrics = new Dictionary<string, double>(training.Metrics, StringComparer.Ordinal);
            foreach ((string k, double v) in evaluation.Metrics)
            {
                metrics[k] = v;
            }

            version = await context.CallActivityAsync<ModelVersionInfo>(
                nameof(RegisterModelVersion),
                new ModelRegistration(input.Model, runId, training.JobId, training.OutputPrefix, data?.ManifestBlob ?? string.Join(",", datasets), data?.ManifestSha256 ?? string.Empty, metrics),
                PipelineRetry.Activity);
            await context.CallActivityAsync<bool>(nameof(SetModelAlias), new AliasAssignment(input.Model, "challenger", version.Version), PipelineRetry.Activity);
            run.Succeed("registry", $"{input.Model} v{version.Version} registered (alias challenger)");

            // Rollout
            run.Start("rollout");
            rollout = await context.CallSubOrchestratorAsync<RolloutResult>(
                nameof(RolloutOrchestrator), new RolloutRequest(input.Model, version, input.Rollout), new SubOrchestrationOptions { InstanceId = $"{runId}-rollout" });
            if (!rollout.Succeeded)
            {
                return run.Fail("rollout", rollout.Detail, data, training, gate, version, rollout);
            }

            run.Succeed("rollout", $"{rollout.Deployment} takes 100% of {input.Model}; alias champion → v{version.Version}");
            return run.Finish(true, $"{input.Model} v{version.Version} is live as deployment {rollout.Deployment}", data, training, gate, version, rollout);
        }
        catch (TaskFailedException e)
        {
            return run.Fail(run.Current, e.FailureDetails.ErrorMessage, data, training, gate, version, rollout);
        }
    }

    static string Metric(JobOutcome job, string name) =>
        job.Metrics.TryGetValue(name, out double v) ? v.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "n/a";

    /// <summary>Keeps the stage reports and publishes them as the custom status after every change.</summary>
    sealed class RunTracker
    {
        readonly TaskOrchestrationContext context;
        readonly string model;
        readonly Dictionary<string, StageReport> stages;

        public RunTracker(TaskOrchestrationContext context, string model)
        {
            this.context = context;
            this.model = model;
            stages = StageNames.ToDictionary(s => s, s => new StageReport(s, StageState.Pending, null, null, string.Empty));
            Current = StageNames[0];
            Publish();
        }

        public string Current { get; private set; }

        IReadOnlyList<StageReport> Reports => StageNames.Select(s => stages[s]).ToList();

        public void Start(string stage)
        {
            Current = stage;
            stages[stage] = stages[stage] with { State = StageState.Running, StartedUtc = context.CurrentUtcDateTime };
            Publish();
        }

        public void Update(string stage, string detail)
        {
            stages[stage] = stages[stage] with { Detail = detail };
            Publish();
        }

        public void Succeed(string stage, string detail) => End(stage, StageState.Succeeded, detail);

        public void Skip(string stage, string detail) => End(stage, StageState.Skipped, detail);

        void End(string stage, StageState state, string detail)
        {
            DateTime now = context.CurrentUtcDateTime;
            stages[stage] = stages[stage] with { State = state, StartedUtc = stages[stage].StartedUtc ?? now, EndedUtc = now, Detail = detail };
            Publish();
        }

        public PipelineResult Fail(string stage, string reason, DataPrepResult? data = null, JobOutcome? training = null, GateDecision? gate = null,
            ModelVersionInfo? version = null, RolloutResult? rollout = null)
        {
            End(stage, StageState.Failed, reason);
            foreach (string s in StageNames.Where(s => stages[s].State == StageState.Pending))
            {
                stages[s] = stages[s] with { State = StageState.Skipped, Detail = $"not run: {stage} failed" };
            }

            return Finish(false, $"{stage} failed: {reason}", data, training, gate, version, rollout);
        }

        public PipelineResult Finish(bool succeeded, string summary, DataPrepResult? data, JobOutcome? training, GateDecision? gate,
            ModelVersionInfo? version, RolloutResult? rollout)
        {
            foreach (string s in StageNames.Where(s => stages[s].State == StageState.Pending))
            {
                stages[s] = stages[s] with { State = StageState.Skipped };
            }

            Current = "done";
            Publish();
            return new PipelineResult(model, succeeded, summary, Reports, data, training, gate, version, rollout);
        }

        void Publish() => context.SetCustomStatus(new PipelineProgress(model, Reports, Current));
    }
}

/// <summary>Lists the curated datasets of a model (for scheduled and drift-triggered retraining).</summary>
[DurableTask(nameof(ListCuratedDatasets))]
public sealed class ListCuratedDatasets(PipelineStorage storage) : TaskActivity<string, IReadOnlyList<string>>
{
    public override async Task<IReadOnlyList<string>> RunAsync(TaskActivityContext context, string input)
    {
        var datasets = new List<string>();
        await foreach (Azure.Storage.Blobs.Models.BlobItem item in storage.Container(PipelineStorage.Curated)
            .GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"{input}/" }))
        {
            if (item.Name.EndsWith("/manifest.json", StringComparison.Ordinal))
            {
                datasets.Add($"{PipelineStorage.Curated}/{item.Name[..^"manifest.json".Length]}");
            }
        }

        datasets.Sort(StringComparer.Ordinal);
        return datasets;
    }
}
