using Azure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace GenAiServerless.Api;

/// <summary>Every error the API answers, as <c>application/problem+json</c> (RFC 9457): a title per kind of fault, a
/// detail naming what was wrong, and, where a field of the request is at fault, an <c>errors</c> member keyed by it.</summary>
public static class ApiProblems
{
    /// <summary>An error answer; <paramref name="field"/> names the offending field (a body member, a route value or
    /// a header) in <c>errors</c>.</summary>
    public static ProblemHttpResult Problem(int status, string title, string detail, string? field = null, string? instanceId = null)
    {
        ProblemDetails problem = field is null
            ? new ProblemDetails()
            : new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [detail] });
        problem.Status = status;
        problem.Title = title;
        problem.Detail = detail;
        problem.Type = $"https://www.rfc-editor.org/rfc/rfc9110#status.{status}";
        if (instanceId is not null)
        {
            problem.Extensions["instanceId"] = instanceId;
        }

        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult BadRequest(string field, string detail) =>
        Problem(StatusCodes.Status400BadRequest, "The request is not valid", detail, field);

    public static ProblemHttpResult NotFound(string detail, string? field = null, string? instanceId = null) =>
        Problem(StatusCodes.Status404NotFound, "Not found", detail, field, instanceId);

    public static ProblemHttpResult Conflict(string detail, string? instanceId = null) =>
        Problem(StatusCodes.Status409Conflict, "The request conflicts with the current state", detail, instanceId: instanceId);

    /// <summary>The one mapping from an exception a route's work threw to an answer; nothing the caller sends reaches
    /// here (input is checked before), so what does is a fault of the pipeline's own services.</summary>
    /// <remarks>The place to map further exceptions (a storage outage handled upstream, say, to a 503 with
    /// <c>Retry-After</c>): the dispatcher calls nothing else for a thrown exception.</remarks>
    public static IResult FromException(Exception exception, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        return exception switch
        {
            OperationCanceledException when context.RequestAborted.IsCancellationRequested =>
                Problem(499, "Client closed the request", "the caller went away before the answer was ready"),
            RequestFailedException e =>
                Problem(StatusCodes.Status503ServiceUnavailable, "A service the pipeline depends on is unavailable", $"storage answered {e.Status} ({e.ErrorCode}): try again shortly"),

            // Azure.Core gives up on an unreachable service with every attempt's failure.
            AggregateException e when e.InnerExceptions.Count > 0 && e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException) =>
                Problem(StatusCodes.Status503ServiceUnavailable, "A service the pipeline depends on is unavailable", $"storage could not be reached ({e.InnerExceptions[^1].Message}): try again shortly"),
            _ => Problem(StatusCodes.Status500InternalServerError, "The pipeline failed to handle the request",
                $"an internal error occurred (trace id {context.TraceIdentifier}); it has been logged"),
        };
    }
}
