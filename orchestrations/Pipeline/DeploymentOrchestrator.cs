using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using Microsoft.DurableTask;

namespace GenAiServerless.Pipeline;

/// <summary>Input of <see cref="DeploymentOrchestrator"/>: a registered version to put in front of users, and how.</summary>
/// <param name="RequestedBy">The verified caller who asked for the deployment (kept in the run's input for the audit).</param>
public sealed record DeploymentRequest(ModelVersionInfo Version, RolloutPolicy Policy, string? RequestedBy = null);

/// <summary>A manual deployment (<c>POST /api/models/{model}/deployments</c>): takes the model's slot like a pipeline
/// run (so it never interleaves with a run or another deployment of the same model) and rolls the version out, which
/// makes it the champion when it succeeds.</summary>
[DurableTask(nameof(DeploymentOrchestrator))]
public sealed class DeploymentOrchestrator : TaskOrchestrator<DeploymentRequest, RolloutResult>
{
    public override async Task<RolloutResult> RunAsync(TaskOrchestrationContext context, DeploymentRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        ModelVersionInfo version = input.Version;
        var claim = new SlotClaim(version.Model, context.InstanceId);
        try
        {
            SlotState slot = await ModelSlotClaims.AcquireAsync(context, claim, s =>
                context.SetCustomStatus($"queued behind {s.Holder ?? "another run"} of {version.Model} ({s.Ahead} ahead in line)"));
            if (!slot.Acquired)
            {
                return new RolloutResult(false, string.Empty, null, [], null, $"{version.Model} stayed busy with {slot.Holder} for {ModelSlotClaims.MaxQueueWait.TotalHours:F0} h");
            }

            // Only what the registry signed is deployed: every file re-hashed, the manifest's signature checked.
            VersionVerification verification = await context.CallActivityAsync<VersionVerification>(
                nameof(VerifyModelVersion), new ModelVersionCheck(version.Model, version.Version, version.FilesPrefix), PipelineRetry.Activity);
            if (!verification.Verified)
            {
                return new RolloutResult(false, string.Empty, null, [], null, verification.Detail);
            }

            context.SetCustomStatus($"rolling out {version.Model} v{version.Version}");
            RolloutResult rollout = await context.CallSubOrchestratorAsync<RolloutResult>(
                nameof(RolloutOrchestrator),
                new RolloutRequest(new DeployableModel(version.Model, version.Version, version.FilesPrefix), input.Policy),
                new SubOrchestrationOptions { InstanceId = $"{context.InstanceId}-rollout" });
            // The rollout moves the aliases itself, while the previous deployment is still warm.
            return rollout;
        }
        finally
        {
            await ModelSlotClaims.ReleaseAsync(context, claim);
        }
    }
}
