using GenAiServerless.Functions.Triggers;
using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Functions.Http;

/// <summary>The pipeline's HTTP API: deploy a registered version, read a run's status, release a run at the gate, cancel a run.</summary>
public sealed class PipelinesApi(PipelineStarterFactory starters, ILogger<PipelinesApi> logger)
{
    /// <summary><c>POST /api/models/{model}/deployments</c> with a <see cref="DeploymentCommand"/> body.</summary>
    [Function(nameof(StartDeployment))]
    public async Task<Results<Accepted<OutcomeResponse>, Ok<OutcomeResponse>, ProblemHttpResult>> StartDeployment(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "models/{model}/deployments")] HttpRequest request,
        string model,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        (DeploymentCommand? command, string? error) = await JsonRequestBody.ReadAsync<DeploymentCommand>(request, whenEmpty: null, cancellationToken);
        if (command is null)
        {
            return TriggerOutcomeResults.BadBody(error!);
        }

        TriggerOutcome outcome = await starters.Create(client).StartDeploymentAsync(model, command, cancellationToken);
        TriggerLog.Outcome(logger, nameof(StartDeployment), outcome);
        return TriggerOutcomeResults.ToResult(outcome);
    }

    /// <summary><c>GET /api/pipelines/{id}</c>: the state, progress and output of any instance a trigger started.</summary>
    [Function(nameof(GetPipelineStatus))]
    public async Task<Results<Ok<PipelineStatusView>, ProblemHttpResult>> GetPipelineStatus(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "pipelines/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        PipelineStatusView? status = await starters.Create(client).GetStatusAsync(id, cancellationToken);
        return status is null ? TriggerOutcomeResults.UnknownInstance(id) : TypedResults.Ok(status);
    }

    /// <summary><c>POST /api/pipelines/{id}/approve</c> with an optional <see cref="ApprovalCommand"/> body (none means approve).</summary>
    [Function(nameof(ApprovePipeline))]
    public async Task<Results<Accepted<OutcomeResponse>, Ok<OutcomeResponse>, ProblemHttpResult>> ApprovePipeline(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "pipelines/{id}/approve")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        (ApprovalCommand? command, string? error) = await JsonRequestBody.ReadAsync(request, whenEmpty: new ApprovalCommand(null, null, null), cancellationToken);
        if (command is null)
        {
            return TriggerOutcomeResults.BadBody(error!);
        }

        TriggerOutcome outcome = await starters.Create(client).ApproveAsync(id, command, cancellationToken);
        TriggerLog.Outcome(logger, nameof(ApprovePipeline), outcome);
        return TriggerOutcomeResults.ToResult(outcome);
    }

    /// <summary><c>POST /api/pipelines/{id}/cancel</c>: cancels a running pipeline and any training or evaluation job it runs.</summary>
    [Function(nameof(CancelPipeline))]
    public async Task<Results<Accepted<OutcomeResponse>, Ok<OutcomeResponse>, ProblemHttpResult>> CancelPipeline(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "pipelines/{id}/cancel")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        TriggerOutcome outcome = await starters.Create(client).CancelAsync(id, cancellationToken);
        TriggerLog.Outcome(logger, nameof(CancelPipeline), outcome);
        return TriggerOutcomeResults.ToResult(outcome);
    }
}
