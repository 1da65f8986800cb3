using System.Globalization;
using System.Text.Json;
using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;

namespace GenAiServerless.Pipeline;

/// <summary>The whole pipeline for one model: Data → Training → Evaluation gate → Registry → Rollout, one method per
/// stage.</summary>
/// <remarks>Deterministic: every side effect is an activity or a sub-orchestration, every id derives from the
/// instance id, every policy comes from the request. Stage reports are kept in the custom status as it goes. A stage
/// method returns the run's result when the run ends there (failed, or nothing to do), null to go on.</remarks>
[DurableTask(nameof(ModelPipelineOrchestrator))]
public sealed class ModelPipelineOrchestrator : TaskOrchestrator<PipelineRequest, PipelineResult>
{
    public const string ApprovalEvent = "Approval";

    /// <summary>How the evaluation stage's detail starts while the run waits for <see cref="ApprovalEvent"/>: the API
    /// answers 409 to an approval of a run whose detail does not.</summary>
    public const string AwaitingApproval = "waiting for approval";

    public override async Task<PipelineResult> RunAsync(TaskOrchestrationContext context, PipelineRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var run = new PipelineRun(context, input);

        // One active pipeline per model: queue behind the run that holds the model, in arrival order. The slot is
        // given back whatever happens, also by a run that gave up waiting (it leaves the line).
        var claim = new SlotClaim(input.Model, context.InstanceId);
        try
        {
            SlotState slot = await ModelSlotClaims.AcquireAsync(context, claim, s =>
                run.Stages.Update(PipelineStage.Data, $"queued behind {s.Holder ?? "another run"} of {input.Model} ({s.Ahead} ahead in line)"));
            if (!slot.Acquired)
            {
                return run.Fail(PipelineStage.Data, $"{input.Model} stayed busy with {slot.Holder} for {ModelSlotClaims.MaxQueueWait.TotalHours:F0} h");
            }

            return await RunStagesAsync(run);
        }
        finally
        {
            await ModelSlotClaims.ReleaseAsync(context, claim);
        }
    }

    static async Task<PipelineResult> RunStagesAsync(PipelineRun run)
    {
        try
        {
            return await DataAsync(run)
                ?? await TrainingAsync(run)
                ?? await EvaluationAsync(run)
                ?? await RegistryAsync(run)
                ?? await RolloutAsync(run);
        }
        catch (TaskFailedException e)
        {
            return run.Fail(run.Stages.Current ?? PipelineStage.Data, e.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>Curates the dropped files, or (for a scheduled or drift run) finds the model's curated datasets.</summary>
    static async Task<PipelineResult?> DataAsync(PipelineRun run)
    {
        (TaskOrchestrationContext context, PipelineRequest input) = (run.Context, run.Input);
        run.Stages.Start(PipelineStage.Data);
        if (input.Drops.Count == 0)
        {
            run.Datasets = await context.CallActivityAsync<IReadOnlyList<string>>(nameof(ListCuratedDatasets), input.Model, PipelineRetry.Activity);
            if (run.Datasets.Count == 0)
            {
                run.Stages.Skip(PipelineStage.Data, "no curated data for this model yet");
                return run.Finish(true, $"nothing to retrain: {input.Reason}");
            }

            run.Stages.Skip(PipelineStage.Data, $"retraining on {run.Datasets.Count} curated dataset(s): {input.Reason}");
            return null;
        }

        DataPrepResult data = await context.CallSubOrchestratorAsync<DataPrepResult>(
            nameof(DataPrepOrchestrator), new DataPrepInput(input.Model, run.Id, input.Drops, input.Data), new SubOrchestrationOptions { InstanceId = $"{run.Id}-data" });
        run.Data = data;
        if (data.TrainRecords == 0)
        {
            return run.Fail(PipelineStage.Data, $"no trainable records: {data.RecordsRead} read, {data.RecordsQuarantined} quarantined"
                + (data.QuarantinedFiles.Count > 0 ? $", bad files: {string.Join("; ", data.QuarantinedFiles)}" : string.Empty));
        }

        run.Stages.Succeed(PipelineStage.Data, $"{data.RecordsCurated} curated ({data.TrainRecords}/{data.ValidationRecords}/{data.TestRecords} train/val/test), "
            + $"{data.RecordsQuarantined} quarantined, {data.RecordsFiltered} filtered, {data.ExactDuplicates} exact + {data.NearDuplicates} near duplicates, {data.QuarantinedFiles.Count} bad files");
        run.Datasets = [data.DatasetPrefix];
        return null;
    }

    /// <summary>Chooses compute, optionally waits for a cheaper spot hour, and runs the training job across evictions.</summary>
    static async Task<PipelineResult?> TrainingAsync(PipelineRun run)
    {
        (TaskOrchestrationContext context, PipelineRequest input) = (run.Context, run.Input);
        run.Stages.Start(PipelineStage.Training);
        TrainingCompute compute = await context.CallActivityAsync<TrainingCompute>(nameof(SelectTrainingCompute), input.Training.Compute, PipelineRetry.Activity);
        run.Compute = compute;
        run.Stages.Update(PipelineStage.Training, $"{compute.Offer.Sku} in {compute.Offer.Region} ({(compute.Offer.Spot ? "spot" : "on-demand")}, ${compute.Offer.PricePerHour}/h)");
        if (compute.Offer.Spot && input.Training.MaxPriceWait > TimeSpan.Zero)
        {
            PriceWindow window = await context.CallActivityAsync<PriceWindow>(
                nameof(PlanPriceWindow),
                new PriceWindowQuery(compute.Offer.Sku, compute.Offer.Region, compute.Offer.PricePerHour, input.Training.MaxPriceWait, input.Training.MinPriceSaving),
                PipelineRetry.Activity);
            DateTime latest = context.CurrentUtcDateTime + input.Training.MaxPriceWait;
            if (window.StartUtc > context.CurrentUtcDateTime)
            {
                run.Stages.Update(PipelineStage.Training, window.Reason);
                await context.CreateTimer(window.StartUtc < latest ? window.StartUtc : latest, CancellationToken.None);
            }
        }

        JobOutcome training = await context.CallSubOrchestratorAsync<JobOutcome>(
            nameof(JobRunOrchestrator),
            new JobRunRequest(input.Model, JobKind.Train, $"{run.Id}-train", run.Datasets, null, compute, input.Training),
            new SubOrchestrationOptions { InstanceId = $"{run.Id}-train" });
        run.Training = training;
        run.Stages.Succeed(PipelineStage.Training, $"{training.JobId}: {training.Attempts} attempt(s), {training.Evictions} eviction(s), "
            + $"validation perplexity {Metric(training, "validation_perplexity")}, cost ${training.CostUsd:0.######} vs ${training.OnDemandCostUsd:0.######} on demand");
        return null;
    }

    /// <summary>Scores the challenger and the champion on the same examples and prompts (the run's test split, the model's
    /// fixed evaluation set, the safety probe), applies the gate, and waits for a human when asked to.</summary>
    static async Task<PipelineResult?> EvaluationAsync(PipelineRun run)
    {
        (TaskOrchestrationContext context, PipelineRequest input) = (run.Context, run.Input);
        run.Stages.Start(PipelineStage.Evaluation);
        EvaluationSet set = await context.CallActivityAsync<EvaluationSet>(
            nameof(PrepareEvaluationSet), new EvaluationSetRequest(input.Model, run.Id, run.Datasets, input.Evaluation), PipelineRetry.Activity);
        var inputs = new EvaluationInputs(set.EvalSetPrefix, set.PromptsPrefix);
        JobOutcome evaluation = await context.CallSubOrchestratorAsync<JobOutcome>(
            nameof(JobRunOrchestrator),
            new JobRunRequest(input.Model, JobKind.Evaluate, $"{run.Id}-eval", run.Datasets, run.Training!.OutputPrefix, run.Compute!, input.Training, inputs),
            new SubOrchestrationOptions { InstanceId = $"{run.Id}-eval" });
        run.Evaluation = evaluation;

        // The champion is scored again, on this run's examples: figures from another test split, or another tokenizer's
        // perplexity, would not be comparable.
        ModelVersionInfo? champion = await context.CallActivityAsync<ModelVersionInfo?>(
            nameof(GetModelVersion), new ModelVersionQuery(input.Model, null, ModelAliases.Champion), PipelineRetry.Activity);
        ChampionEvaluation? championEvaluation = null;
        if (champion is not null)
        {
            run.Stages.Update(PipelineStage.Evaluation, $"scoring champion v{champion.Version} on the same {set.EvalExamples} evaluation examples and the run's test split");
            try
            {
                JobOutcome scored = await context.CallSubOrchestratorAsync<JobOutcome>(
                    nameof(JobRunOrchestrator),
                    new JobRunRequest(input.Model, JobKind.Evaluate, $"{run.Id}-eval-champion", run.Datasets, champion.FilesPrefix, run.Compute!, input.Training, inputs),
                    new SubOrchestrationOptions { InstanceId = $"{run.Id}-eval-champion" });
                championEvaluation = new ChampionEvaluation(champion.Version, scored.OutputPrefix, null);
            }
            catch (TaskFailedException e)
            {
                championEvaluation = new ChampionEvaluation(champion.Version, null, e.FailureDetails.ErrorMessage);
            }
        }

        GateDecision gate = await context.CallActivityAsync<GateDecision>(
            nameof(JudgeChallenger), new GateInput(input.Model, run.Id, evaluation.OutputPrefix, championEvaluation, input.Evaluation), PipelineRetry.Activity);
        run.Gate = gate;
        if (!gate.Passed)
        {
            return run.Fail(PipelineStage.Evaluation, "gate failed: " + string.Join("; ", gate.Reasons));
        }

        if (input.Evaluation.RequireApproval)
        {
            run.Stages.Update(PipelineStage.Evaluation, AwaitingApproval + " (POST /api/pipelines/{id}/approve)");
            ApprovalDecision approval;
            try
            {
                approval = await context.WaitForExternalEvent<ApprovalDecision>(ApprovalEvent, input.Evaluation.ApprovalTimeout);
            }
            catch (TaskCanceledException)
            {
                return run.Fail(PipelineStage.Evaluation, $"rejected: nobody approved within {input.Evaluation.ApprovalTimeout}");
            }

            run.Gate = gate with { Approver = approval.By };
            if (!approval.Approved)
            {
                return run.Fail(PipelineStage.Evaluation, $"rejected by {approval.By}: {approval.Comment}");
            }
        }

        run.Stages.Succeed(PipelineStage.Evaluation, string.Join("; ", gate.Reasons));
        return null;
    }

    /// <summary>Registers the trained model as a new version with its lineage and makes it the challenger.</summary>
    static async Task<PipelineResult?> RegistryAsync(PipelineRun run)
    {
        (TaskOrchestrationContext context, PipelineRequest input) = (run.Context, run.Input);
        run.Stages.Start(PipelineStage.Registry);
        JobOutcome training = run.Training!;
        var metrics = new Dictionary<string, double>(training.Metrics, StringComparer.Ordinal);
        foreach ((string k, double v) in run.Evaluation!.Metrics)
        {
            metrics[k] = v;
        }

        TrainingCompute compute = run.Compute!;
        var lineage = new ModelLineage(
            run.Evaluation.JobId,
            run.Gate?.ChampionVersion,
            input.Training.Component,
            input.Training.Hyperparameters,
            $"{compute.Offer.Sku} in {compute.Offer.Region} ({(compute.Offer.Spot ? "spot" : "on-demand")})",
            run.Gate?.Verdict,
            run.Gate is null ? null : JsonSerializer.SerializeToElement(run.Gate, JsonSerializerOptions.Web));
        ModelVersionInfo version = await context.CallActivityAsync<ModelVersionInfo>(
            nameof(RegisterModelVersion),
            new ModelRegistration(input.Model, run.Id, training.JobId, training.OutputPrefix, run.Data?.ManifestBlob ?? string.Join(",", run.Datasets), run.Data?.ManifestSha256 ?? string.Empty, metrics, lineage),
            PipelineRetry.Activity);
        run.Version = version;
        await context.CallActivityAsync<bool>(
            nameof(SetModelAlias),
            new AliasAssignment(input.Model, ModelAliases.Challenger, version.Version, $"pipeline {run.Id}", run.Gate?.Verdict ?? "passed the gate"),
            PipelineRetry.Activity);
        run.Stages.Succeed(PipelineStage.Registry, $"{input.Model} v{version.Version} registered and signed (alias challenger)");
        return null;
    }

    /// <summary>Rolls the new version out to the model's endpoint; on success it becomes the champion.</summary>
    static async Task<PipelineResult> RolloutAsync(PipelineRun run)
    {
        (TaskOrchestrationContext context, PipelineRequest input) = (run.Context, run.Input);
        run.Stages.Start(PipelineStage.Rollout);
        ModelVersionInfo version = run.Version!;
        VersionVerification verification = await context.CallActivityAsync<VersionVerification>(
            nameof(VerifyModelVersion), new ModelVersionCheck(input.Model, version.Version, version.FilesPrefix), PipelineRetry.Activity);
        if (!verification.Verified)
        {
            return run.Fail(PipelineStage.Rollout, verification.Detail);
        }

        run.Stages.Update(PipelineStage.Rollout, verification.Detail);
        RolloutResult rollout = await context.CallSubOrchestratorAsync<RolloutResult>(
            nameof(RolloutOrchestrator),
            new RolloutRequest(new DeployableModel(input.Model, version.Version, version.FilesPrefix), input.Rollout),
            new SubOrchestrationOptions { InstanceId = $"{run.Id}-rollout" });
        run.Rollout = rollout;
        if (!rollout.Succeeded)
        {
            return run.Fail(PipelineStage.Rollout, rollout.Detail);
        }

        // The rollout moved the aliases (champion, previous) itself, while the previous deployment was still warm.
        run.Stages.Succeed(PipelineStage.Rollout, $"{rollout.Deployment} takes 100% of {input.Model}; alias champion → v{version.Version}");
        return run.Finish(true, $"{input.Model} v{version.Version} is live as deployment {rollout.Deployment}");
    }

    static string Metric(JobOutcome job, string name) =>
        job.Metrics.TryGetValue(name, out double v) ? v.ToString("F2", CultureInfo.InvariantCulture) : "n/a";
}
