using System.Text.Json;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Rollout;
using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace GenAiServerless.Local.Triggers;

/// <summary>The HTTP API of the Functions app, served by Kestrel with the same routes and the same starter.</summary>
public static class PipelineApi
{
    public static RouteGroupBuilder MapPipelineApi(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder api = app.MapGroup("/api");
        api.MapPost("/models/{model}/deployments", async (string model, HttpRequest request, PipelineStarter starter, CancellationToken ct) =>
        {
            (DeploymentCommand? body, IResult? error) = await ReadBodyAsync<DeploymentCommand>(request, ct);
            return error ?? ToResult(await starter.StartDeploymentAsync(model, body ?? new DeploymentCommand(null, null, null), ct));
        });
        api.MapGet("/pipelines", async (PipelineStarter starter, CancellationToken ct) => TypedResults.Ok(await starter.ListRecentAsync(50, ct)));
        api.MapGet("/pipelines/{id}", async Task<Results<Ok<PipelineStatusView>, ProblemHttpResult>> (string id, PipelineStarter starter, CancellationToken ct) =>
            await starter.GetStatusAsync(id, ct) is { } view
                ? TypedResults.Ok(view)
                : TypedResults.Problem(title: "Not found", detail: $"no pipeline run with id '{id}'", statusCode: StatusCodes.Status404NotFound));
        api.MapPost("/pipelines/{id}/approve", async (string id, HttpRequest request, PipelineStarter starter, CancellationToken ct) =>
        {
            (ApprovalCommand? body, IResult? error) = await ReadBodyAsync<ApprovalCommand>(request, ct);
            return error ?? ToResult(await starter.ApproveAsync(id, body ?? new ApprovalCommand(true, null, null), ct));
        });
        api.MapPost("/pipelines/{id}/cancel", async (string id, PipelineStarter starter, CancellationToken ct) => ToResult(await starter.CancelAsync(id, ct)));
        return api;
    }

    /// <summary>Scoring on the local endpoint host: <c>POST /endpoints/{model}/score</c> with <c>{"prompt": "…"}</c>.</summary>
    public static IEndpointRouteBuilder MapEndpointScoring(this IEndpointRouteBuilder app)
    {
        app.MapPost("/endpoints/{model}/score", async (string model, HttpRequest request, IEndpointHost host, CancellationToken ct) =>
        {
            (ScoreCommand? body, IResult? error) = await ReadBodyAsync<ScoreCommand>(request, ct);
            if (error is not null)
            {
                return error;
            }

            if (string.IsNullOrWhiteSpace(body?.Prompt))
            {
                return TypedResults.Problem(title: "Bad request", detail: "field 'prompt' is missing or empty", statusCode: StatusCodes.Status400BadRequest);
            }

            string? pinned = request.Headers["azureml-model-deployment"].FirstOrDefault();
            try
            {
                ScoreResult result = await host.ScoreAsync(model, body.Prompt, string.IsNullOrEmpty(pinned) ? null : pinned, ct);
                return Results.Ok(result);
            }
            catch (KeyNotFoundException e)
            {
                return TypedResults.Problem(title: "Not found", detail: e.Message, statusCode: StatusCodes.Status404NotFound);
            }
            catch (InvalidOperationException e)
            {
                return TypedResults.Problem(title: "Unavailable", detail: e.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            catch (HttpRequestException e)
            {
                // An Azure ML online endpoint that answered with an error.
                return TypedResults.Problem(title: "Bad gateway", detail: e.Message, statusCode: StatusCodes.Status502BadGateway);
            }
        });
        app.MapGet("/endpoints/{model}", async (string model, IEndpointHost host, CancellationToken ct) => Results.Ok(await host.GetEndpointAsync(model, ct)));
        return app;
    }

    /// <summary>The one mapping from a trigger outcome to an HTTP answer.</summary>
    public static IResult ToResult(TriggerOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var body = new { instanceId = outcome.InstanceId, message = outcome.Message };
        return outcome.Kind switch
        {
            TriggerOutcomeKind.Started => TypedResults.Accepted($"/api/pipelines/{outcome.InstanceId}", body),
            TriggerOutcomeKind.AlreadyStarted => TypedResults.Ok(body),
            TriggerOutcomeKind.Accepted => TypedResults.Accepted((string?)null, body),
            TriggerOutcomeKind.NotFound => TypedResults.Problem(title: "Not found", detail: outcome.Message, statusCode: StatusCodes.Status404NotFound),
            _ => TypedResults.Problem(title: "Bad request", detail: outcome.Message, statusCode: StatusCodes.Status400BadRequest),
        };
    }

    static async Task<(T?, IResult?)> ReadBodyAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (request.ContentLength is 0 || (request.ContentLength is null && !request.Body.CanSeek && request.Headers.ContentType.Count == 0))
        {
            return (null, null);
        }

        try
        {
            return (await JsonSerializer.DeserializeAsync<T>(request.Body, JsonSerializerOptions.Web, ct), null);
        }
        catch (JsonException e)
        {
            return (null, TypedResults.Problem(title: "Bad request", detail: $"request body is not valid JSON for {typeof(T).Name}: {e.Message}", statusCode: StatusCodes.Status400BadRequest));
        }
    }

    /// <summary>Body of a scoring request.</summary>
    public sealed record ScoreCommand(string? Prompt);
}
