using System.Text.Json;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Rollout;
using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

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
            catch (InjectedFaultException e)
            {
                return TypedResults.Problem(title: "Internal server error", detail: e.Message, statusCode: StatusCodes.Status500InternalServerError);
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
        MapLocalDeploymentRoutes(app);
        return app;
    }

    /// <summary>Routes only the local endpoint host has: Prometheus metrics, each deployment's liveness and readiness, and
    /// a deployment's model called straight, past the router (what the bench compares the router with).</summary>
    static void MapLocalDeploymentRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (IServiceProvider services) => services.GetService<DeploymentRouter>() is { } router
            ? Results.Text(router.Prometheus(), "text/plain; version=0.0.4; charset=utf-8")
            : TypedResults.Problem(title: "Not found", detail: "metrics are served by the local endpoint host; Azure ML endpoints report to Azure Monitor", statusCode: StatusCodes.Status404NotFound));
        app.MapGet("/endpoints/{model}/deployments/{deployment}/live", (string model, string deployment, IServiceProvider services) =>
            Health(services, model, deployment, h => h.Live));
        app.MapGet("/endpoints/{model}/deployments/{deployment}/ready", (string model, string deployment, IServiceProvider services) =>
            Health(services, model, deployment, h => h.Ready));
        app.MapPost("/endpoints/{model}/deployments/{deployment}/score", async (string model, string deployment, HttpRequest request, IServiceProvider services, CancellationToken ct) =>
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

            if (services.GetService<DeploymentRouter>() is not { } router)
            {
                return TypedResults.Problem(title: "Not found", detail: "direct deployment scoring is a route of the local endpoint host", statusCode: StatusCodes.Status404NotFound);
            }

            try
            {
                Generation answer = await router.ScoreDirectAsync(model, deployment, body.Prompt, ct);
                return Results.Ok(new ScoreResult(deployment, answer.Completion));
            }
            catch (KeyNotFoundException e)
            {
                return TypedResults.Problem(title: "Not found", detail: e.Message, statusCode: StatusCodes.Status404NotFound);
            }
        });
    }

    static IResult Health(IServiceProvider services, string model, string deployment, Func<(bool Live, bool Ready, string Detail), bool> check)
    {
        if (services.GetService<LocalEndpointHost>()?.Health(model, deployment) is not { } health)
        {
            return TypedResults.Problem(title: "Not found", detail: $"endpoint '{model}' has no deployment '{deployment}'", statusCode: StatusCodes.Status404NotFound);
        }

        return check(health)
            ? Results.Ok(new { deployment, live = health.Live, ready = health.Ready, detail = health.Detail })
            : Results.Json(new { deployment, live = health.Live, ready = health.Ready, detail = health.Detail }, statusCode: StatusCodes.Status503ServiceUnavailable);
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
