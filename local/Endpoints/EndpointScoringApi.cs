using System.Text.Json;
using GenAiServerless.Rollout;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Local.Endpoints;

/// <summary>The data plane of the local endpoint host: scoring requests to a model's endpoint (the pipeline API itself
/// is <see cref="GenAiServerless.Api.PipelineApi"/>, shared with the Functions app).</summary>
public static class EndpointScoringApi
{
    /// <summary>Scoring on the local endpoint host: <c>POST /endpoints/{model}/score</c> with <c>{"prompt": "…"}</c> (a
    /// completion), or with <c>{"text": "…"}</c> and the <c>azureml-model-deployment</c> header (the text's loss on that
    /// deployment: <c>{"deployment", "bits", "bytes", "bitsPerByte"}</c>).</summary>
    public static IEndpointRouteBuilder MapEndpointScoring(this IEndpointRouteBuilder app)
    {
        app.MapPost("/endpoints/{model}/score", async (string model, HttpRequest request, IEndpointHost host, CancellationToken ct) =>
        {
            (ScoreCommand? body, IResult? error) = await ReadBodyAsync<ScoreCommand>(request, ct);
            if (error is not null)
            {
                return error;
            }

            string? pinned = request.Headers["azureml-model-deployment"].FirstOrDefault();
            if (body is { Prompt: null, Text: { } text })
            {
                // A loss request: the text's bits on one deployment, as the evaluation scores an example.
                if (text.Length == 0)
                {
                    return TypedResults.Problem(title: "Bad request", detail: "field 'text' is empty: a loss is per byte", statusCode: StatusCodes.Status400BadRequest);
                }

                if (string.IsNullOrEmpty(pinned))
                {
                    return TypedResults.Problem(title: "Bad request", detail: "a loss request ('text') names its deployment in the azureml-model-deployment header", statusCode: StatusCodes.Status400BadRequest);
                }

                return await AnswerAsync(async () => await host.ScoreLossAsync(model, text, pinned, ct));
            }

            if (string.IsNullOrWhiteSpace(body?.Prompt))
            {
                return TypedResults.Problem(title: "Bad request", detail: "field 'prompt' is missing or empty", statusCode: StatusCodes.Status400BadRequest);
            }

            return await AnswerAsync(async () => await host.ScoreAsync(model, body.Prompt, string.IsNullOrEmpty(pinned) ? null : pinned, ct));
        });
        app.MapGet("/endpoints/{model}", async (string model, IEndpointHost host, CancellationToken ct) => Results.Ok(await host.GetEndpointAsync(model, ct)));
        MapLocalDeploymentRoutes(app);
        return app;
    }

    /// <summary>The answer of a scoring call as <c>200</c>, or its failure as a problem: an unknown endpoint or deployment
    /// <c>404</c>, an injected fault <c>500</c>, a deployment not (yet) able to answer <c>503</c>, an Azure ML online
    /// endpoint that answered with an error <c>502</c>.</summary>
    static async Task<IResult> AnswerAsync<T>(Func<Task<T>> score)
    {
        try
        {
            return Results.Ok(await score());
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
            return TypedResults.Problem(title: "Bad gateway", detail: e.Message, statusCode: StatusCodes.Status502BadGateway);
        }
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

            return await AnswerAsync(async () => new ScoreResult(deployment, (await router.ScoreDirectAsync(model, deployment, body.Prompt, ct)).Completion));
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

    /// <summary>Body of a scoring request: a prompt to complete, or a text to score for its loss.</summary>
    public sealed record ScoreCommand(string? Prompt, string? Text = null);
}
