using GenAiServerless.Data;
using GenAiServerless.Evaluation;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Functions.Durable;

/// <summary>One Durable Functions entry point per orchestrator and activity that
/// <see cref="PipelineServiceCollectionExtensions.AddPipelineTasks"/> registers, named like the task.</summary>
/// <remarks>Written by hand because the Durable Task source generator is not available here; each wrapper is the
/// mechanical equivalent of what it would emit. Orchestrators are made with <c>new</c> (they take no dependencies, by
/// rule); activities are built from the invocation's container. A test fails when a task has no wrapper.</remarks>
public static class PipelineTasksFunctions
{
    // Orchestrators

    [Function(nameof(ModelPipelineOrchestrator))]
    public static Task<PipelineResult> ModelPipelineOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new ModelPipelineOrchestrator().RunAsync(context, Input<PipelineRequest>(context));

    [Function(nameof(JobRunOrchestrator))]
    public static Task<JobOutcome> JobRunOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new JobRunOrchestrator().RunAsync(context, Input<JobRunRequest>(context));

    [Function(nameof(RolloutOrchestrator))]
    public static Task<RolloutResult> RolloutOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RolloutOrchestrator().RunAsync(context, Input<RolloutRequest>(context));

    [Function(nameof(DeploymentOrchestrator))]
    public static Task<RolloutResult> DeploymentOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new DeploymentOrchestrator().RunAsync(context, Input<DeploymentRequest>(context));

    [Function(nameof(DataPrepOrchestrator))]
    public static Task<DataPrepResult> DataPrepOrchestrator([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new DataPrepOrchestrator().RunAsync(context, Input<DataPrepInput>(context));

    // Activities: data

    [Function(nameof(PlanDataShards))]
    public static Task<DataShardPlan> PlanDataShards([ActivityTrigger] DataPrepInput input, FunctionContext context) =>
        Run<PlanDataShards, DataPrepInput, DataShardPlan>(nameof(PlanDataShards), input, context);

    [Function(nameof(CurateDataShard))]
    public static Task<DataShardResult> CurateDataShard([ActivityTrigger] DataShardTask input, FunctionContext context) =>
        Run<CurateDataShard, DataShardTask, DataShardResult>(nameof(CurateDataShard), input, context);

    [Function(nameof(DeduplicateDataDrop))]
    public static Task<DataDedupResult> DeduplicateDataDrop([ActivityTrigger] DataDedupTask input, FunctionContext context) =>
        Run<DeduplicateDataDrop, DataDedupTask, DataDedupResult>(nameof(DeduplicateDataDrop), input, context);

    [Function(nameof(WriteCuratedShard))]
    public static Task<WrittenShard> WriteCuratedShard([ActivityTrigger] DataShardTask input, FunctionContext context) =>
        Run<WriteCuratedShard, DataShardTask, WrittenShard>(nameof(WriteCuratedShard), input, context);

    [Function(nameof(WriteDataManifest))]
    public static Task<DataPrepResult> WriteDataManifest([ActivityTrigger] DataManifestTask input, FunctionContext context) =>
        Run<WriteDataManifest, DataManifestTask, DataPrepResult>(nameof(WriteDataManifest), input, context);

    [Function(nameof(CleanDataWork))]
    public static Task<bool> CleanDataWork([ActivityTrigger] DataPrepInput input, FunctionContext context) =>
        Run<CleanDataWork, DataPrepInput, bool>(nameof(CleanDataWork), input, context);

    [Function(nameof(ListCuratedDatasets))]
    public static Task<IReadOnlyList<string>> ListCuratedDatasets([ActivityTrigger] string input, FunctionContext context) =>
        Run<ListCuratedDatasets, string, IReadOnlyList<string>>(nameof(ListCuratedDatasets), input, context);

    // Activities: the model's slot

    [Function(nameof(ClaimModelSlot))]
    public static Task<SlotState> ClaimModelSlot([ActivityTrigger] SlotClaim input, FunctionContext context) =>
        Run<ClaimModelSlot, SlotClaim, SlotState>(nameof(ClaimModelSlot), input, context);

    [Function(nameof(ReleaseModelSlot))]
    public static Task<SlotRelease> ReleaseModelSlot([ActivityTrigger] SlotClaim input, FunctionContext context) =>
        Run<ReleaseModelSlot, SlotClaim, SlotRelease>(nameof(ReleaseModelSlot), input, context);

    // Activities: training and evaluation jobs

    [Function(nameof(SelectTrainingCompute))]
    public static Task<TrainingCompute> SelectTrainingCompute([ActivityTrigger] ComputeRequirements input, FunctionContext context) =>
        Run<SelectTrainingCompute, ComputeRequirements, TrainingCompute>(nameof(SelectTrainingCompute), input, context);

    [Function(nameof(PlanPriceWindow))]
    public static Task<PriceWindow> PlanPriceWindow([ActivityTrigger] PriceWindowQuery input, FunctionContext context) =>
        Run<PlanPriceWindow, PriceWindowQuery, PriceWindow>(nameof(PlanPriceWindow), input, context);

    [Function(nameof(SubmitJob))]
    public static Task<JobStatus> SubmitJob([ActivityTrigger] JobSubmission input, FunctionContext context) =>
        Run<SubmitJob, JobSubmission, JobStatus>(nameof(SubmitJob), input, context);

    [Function(nameof(GetJobStatus))]
    public static Task<JobStatus> GetJobStatus([ActivityTrigger] string input, FunctionContext context) =>
        Run<GetJobStatus, string, JobStatus>(nameof(GetJobStatus), input, context);

    [Function(nameof(ReadJobMetrics))]
    public static Task<IReadOnlyDictionary<string, double>> ReadJobMetrics([ActivityTrigger] string input, FunctionContext context) =>
        Run<ReadJobMetrics, string, IReadOnlyDictionary<string, double>>(nameof(ReadJobMetrics), input, context);

    [Function(nameof(ResolveJobOutput))]
    public static Task<string> ResolveJobOutput([ActivityTrigger] string input, FunctionContext context) =>
        Run<ResolveJobOutput, string, string>(nameof(ResolveJobOutput), input, context);

    [Function(nameof(CancelJob))]
    public static Task<bool> CancelJob([ActivityTrigger] string input, FunctionContext context) =>
        Run<CancelJob, string, bool>(nameof(CancelJob), input, context);

    // Activities: evaluation gate and registry

    [Function(nameof(PrepareEvaluationSet))]
    public static Task<EvaluationSet> PrepareEvaluationSet([ActivityTrigger] EvaluationSetRequest input, FunctionContext context) =>
        Run<PrepareEvaluationSet, EvaluationSetRequest, EvaluationSet>(nameof(PrepareEvaluationSet), input, context);

    [Function(nameof(JudgeChallenger))]
    public static Task<GateDecision> JudgeChallenger([ActivityTrigger] GateInput input, FunctionContext context) =>
        Run<JudgeChallenger, GateInput, GateDecision>(nameof(JudgeChallenger), input, context);

    [Function(nameof(RegisterModelVersion))]
    public static Task<ModelVersionInfo> RegisterModelVersion([ActivityTrigger] ModelRegistration input, FunctionContext context) =>
        Run<RegisterModelVersion, ModelRegistration, ModelVersionInfo>(nameof(RegisterModelVersion), input, context);

    [Function(nameof(SetModelAlias))]
    public static Task<bool> SetModelAlias([ActivityTrigger] AliasAssignment input, FunctionContext context) =>
        Run<SetModelAlias, AliasAssignment, bool>(nameof(SetModelAlias), input, context);

    [Function(nameof(GetModelVersion))]
    public static Task<ModelVersionInfo?> GetModelVersion([ActivityTrigger] ModelVersionQuery input, FunctionContext context) =>
        Run<GetModelVersion, ModelVersionQuery, ModelVersionInfo?>(nameof(GetModelVersion), input, context);

    [Function(nameof(VerifyModelVersion))]
    public static Task<VersionVerification> VerifyModelVersion([ActivityTrigger] ModelVersionCheck input, FunctionContext context) =>
        Run<VerifyModelVersion, ModelVersionCheck, VersionVerification>(nameof(VerifyModelVersion), input, context);

    // Activities: rollout

    [Function(nameof(GetEndpoint))]
    public static Task<EndpointInfo> GetEndpoint([ActivityTrigger] string input, FunctionContext context) =>
        Run<GetEndpoint, string, EndpointInfo>(nameof(GetEndpoint), input, context);

    [Function(nameof(CreateDeployment))]
    public static Task<bool> CreateDeployment([ActivityTrigger] DeploymentSpec input, FunctionContext context) =>
        Run<CreateDeployment, DeploymentSpec, bool>(nameof(CreateDeployment), input, context);

    [Function(nameof(ShiftTraffic))]
    public static Task<bool> ShiftTraffic([ActivityTrigger] TrafficSplit input, FunctionContext context) =>
        Run<ShiftTraffic, TrafficSplit, bool>(nameof(ShiftTraffic), input, context);

    [Function(nameof(DeleteDeployment))]
    public static Task<bool> DeleteDeployment([ActivityTrigger] DeploymentRef input, FunctionContext context) =>
        Run<DeleteDeployment, DeploymentRef, bool>(nameof(DeleteDeployment), input, context);

    [Function(nameof(ProbeEndpoint))]
    public static Task<ProbeResult> ProbeEndpoint([ActivityTrigger] ProbeRequest input, FunctionContext context) =>
        Run<ProbeEndpoint, ProbeRequest, ProbeResult>(nameof(ProbeEndpoint), input, context);

    [Function(nameof(AnalyzeCanary))]
    public static Task<CanaryVerdict> AnalyzeCanary([ActivityTrigger] CanaryAnalysisRequest input, FunctionContext context) =>
        Run<AnalyzeCanary, CanaryAnalysisRequest, CanaryVerdict>(nameof(AnalyzeCanary), input, context);

    [Function(nameof(MoveModelAliases))]
    public static Task<bool> MoveModelAliases([ActivityTrigger] AliasPromotion input, FunctionContext context) =>
        Run<MoveModelAliases, AliasPromotion, bool>(nameof(MoveModelAliases), input, context);

    [Function(nameof(ReadModelAliases))]
    public static Task<RolloutAliasState> ReadModelAliases([ActivityTrigger] string input, FunctionContext context) =>
        Run<ReadModelAliases, string, RolloutAliasState>(nameof(ReadModelAliases), input, context);

    [Function(nameof(RestoreModelAliases))]
    public static Task<bool> RestoreModelAliases([ActivityTrigger] AliasRollback input, FunctionContext context) =>
        Run<RestoreModelAliases, AliasRollback, bool>(nameof(RestoreModelAliases), input, context);

    static T Input<T>(TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Every pipeline orchestration is started with an input record; a missing one is a bug in the starter.
        return context.GetInput<T>()
            ?? throw new InvalidOperationException($"Orchestration {context.Name} ({context.InstanceId}) was started without a {typeof(T).Name} input.");
    }

    static Task<TOut> Run<TActivity, TIn, TOut>(string name, TIn input, FunctionContext context)
        where TActivity : TaskActivity<TIn, TOut>
    {
        ArgumentNullException.ThrowIfNull(context);
        TActivity activity = ActivatorUtilities.CreateInstance<TActivity>(context.InstanceServices);
        return activity.RunAsync(FunctionActivityContext.For(name, context), input);
    }
}
