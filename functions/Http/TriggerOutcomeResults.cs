using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace GenAiServerless.Functions.Http;

/// <summary>What a caller of the pipeline API reads back: the instance concerned and what happened.</summary>
public sealed record OutcomeResponse(string? InstanceId, string Message);

/// <summary>The one mapping from a <see cref="TriggerOutcome"/> to an HTTP answer. The local host maps the same kinds the
/// same way: Started 202 + Location, AlreadyStarted 200, Accepted 202, Rejected 400, NotFound 404 (problem details).</summary>
public static class TriggerOutcomeResults
{
    /// <summary>Where a pipeline's status is read: <c>GET /api/pipelines/{id}</c>.</summary>
    public static string StatusLocation(string instanceId) => $"/api/pipelines/{Uri.EscapeDataString(instanceId)}";

    public static Results<Accepted<OutcomeResponse>, Ok<OutcomeResponse>, ProblemHttpResult> ToResult(TriggerOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var body = new OutcomeResponse(outcome.InstanceId, outcome.Message);
        return outcome.Kind switch
        {
            TriggerOutcomeKind.Started when outcome.InstanceId is { } id => TypedResults.Accepted(StatusLocation(id), body),

            // The same input again: nothing new was scheduled, and saying so with 200 keeps client retries idempotent.
            TriggerOutcomeKind.AlreadyStarted => TypedResults.Ok(body),
            TriggerOutcomeKind.Accepted => TypedResults.Accepted((string?)null, body),
            TriggerOutcomeKind.Rejected => Problem(StatusCodes.Status400BadRequest, "The request was rejected", outcome.Message, outcome.InstanceId),
            TriggerOutcomeKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", outcome.Message, outcome.InstanceId),
            _ => throw new InvalidOperationException($"No HTTP mapping for trigger outcome {outcome.Kind} (instance '{outcome.InstanceId}'): {outcome.Message}"),
        };
    }

    /// <summary>404 for a status query on an id that names no instance.</summary>
    public static ProblemHttpResult UnknownInstance(string instanceId) =>
        Problem(StatusCodes.Status404NotFound, "Not found", $"no pipeline run with id '{instanceId}'", instanceId);

    /// <summary>400 for a body that could not be read; <paramref name="detail"/> names what was wrong.</summary>
    public static ProblemHttpResult BadBody(string detail) => Problem(StatusCodes.Status400BadRequest, "The request body is not valid", detail, null);

    static ProblemHttpResult Problem(int status, string title, string detail, string? instanceId)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (instanceId is not null)
        {
            problem.Extensions["instanceId"] = instanceId;
        }

        return TypedResults.Problem(problem);
    }
}
