using System.Text.Json;
using GenAiServerless.Rollout;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace GenAiServerless.Local.Endpoints;

/// <summary>The data plane of the local endpoint host: scoring requests to a model's endpoint (the pipeline API itself
/// is <see cref="GenAiServerless.Api.PipelineApi"/>, shared with the Functions app).</summary>
public static class EndpointScoringApi
{
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
