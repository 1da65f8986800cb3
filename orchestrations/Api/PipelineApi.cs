using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Api;

/// <summary>The pipeline's HTTP API, written once: both hosts hand every <c>/api/…</c> request to
/// <see cref="HandleAsync"/> with the durable client they have (Kestrel locally, the Functions app's ASP.NET Core
/// integration on Azure). Checks run in one order for every route: origin (403), route (404), method (405), token
/// (401), role (403), route values (400), media type (415), size (413), body (400); then the route's work, whose
/// exceptions map to answers in <see cref="ApiProblems.FromException"/>.</summary>
public sealed partial class PipelineApi(IServiceProvider services, IModelRegistry registry, IOptions<PipelineOptions> pipeline, IOptions<ApiOptions> options, ILogger<PipelineApi> logger)
{
    /// <summary>The authentication scheme each host registers (a JWT bearer handler).</summary>
    public const string AuthenticationScheme = "PipelineApi";

    /// <summary>The route table.</summary>
    public static IReadOnlyList<ApiRoute> Routes => PipelineApiRoutes.All;

    public async Task<IResult> HandleAsync(HttpContext context, DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return await DispatchAsync(context, client);
        }
        catch (Exception e)
        {
            // The API's one boundary: whatever the work threw becomes a problem answer here, never an unhandled 500.
            Log.Failed(logger, context.Request.Method, context.Request.Path.Value ?? "/", e);
            return ApiProblems.FromException(e, context);
        }
    }

    async Task<IResult> DispatchAsync(HttpContext context, DurableTaskClient client)
    {
        HttpRequest request = context.Request;
        if (request.Headers.Origin.Count > 0 && !IsOwnOrigin(request.Headers.Origin.ToString(), request))
        {
            return ApiProblems.Problem(StatusCodes.Status403Forbidden, "Cross-origin request refused",
                $"requests from origin '{request.Headers.Origin}' are refused: the API serves its own origin and non-browser clients", "Origin");
        }

        string path = request.Path.Value ?? "/";
        string[] segments = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var matches = new List<(ApiRoute Route, Dictionary<string, string> Values)>();
        foreach (ApiRoute candidate in Routes)
        {
            if (candidate.TryMatch(segments, out Dictionary<string, string> v))
            {
                matches.Add((candidate, v));
            }
        }

        if (matches.Count == 0)
        {
            return ApiProblems.NotFound($"no route {path}: GET /api/openapi.json lists them");
        }

        if (matches.FirstOrDefault(m => m.Route.Method.Equals(request.Method, StringComparison.OrdinalIgnoreCase)) is not ({ } route, { } values))
        {
            string allow = string.Join(", ", matches.Select(m => m.Route.Method).Distinct());
            return new WithHeader(
                ApiProblems.Problem(StatusCodes.Status405MethodNotAllowed, "Method not allowed", $"{path} answers {allow}, not {request.Method}"),
                "Allow", allow);
        }

        ApiCaller caller = new("anonymous", new HashSet<ApiRole>());
        if (route.Role is { } role)
        {
            AuthenticateResult auth = await context.AuthenticateAsync(AuthenticationScheme);
            if (!auth.Succeeded || ApiCaller.From(auth.Principal) is not { } verified)
            {
                bool presented = request.Headers.Authorization.Count > 0;
                string detail = !presented
                    ? "this route needs a bearer token (Authorization: Bearer …)"
                    : $"the bearer token was refused: {auth.Failure?.Message ?? (auth.Succeeded ? "it names no subject" : "it is not a bearer token")}";
                return new WithHeader(
                    ApiProblems.Problem(StatusCodes.Status401Unauthorized, "Unauthorized", detail, "Authorization"),
                    "WWW-Authenticate", presented ? "Bearer error=\"invalid_token\"" : "Bearer");
            }

            if (!verified.May(role))
            {
                return ApiProblems.Problem(StatusCodes.Status403Forbidden, "Forbidden",
                    $"{route.Method} {route.Template} needs the {role} role; {verified.Name} has {(verified.Roles.Count == 0 ? "none" : string.Join(", ", verified.Roles))}");
            }

            caller = verified;
        }

        if (route.Violation(values) is ({ } name, { } reason))
        {
            return ApiProblems.BadRequest(name, reason);
        }

        ApiRequestBody.Read? body = null;
        if (route.Body is { } type)
        {
            body = await ApiRequestBody.ReadAsync(request, type, route.MaxBodyBytes, context.RequestAborted);
            if (body.Error is { } error)
            {
                return error;
            }
        }

        var starter = ActivatorUtilities.CreateInstance<PipelineStarter>(services, client);
        return await route.Handle(new ApiCall(context, values, caller, body, starter, client, registry, pipeline.Value));
    }

    bool IsOwnOrigin(string origin, HttpRequest request)
    {
        if (options.Value.AllowedOrigins.Contains(origin.TrimEnd('/'), StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri)
            && uri.AbsolutePath == "/"
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>An answer with one more response header (Allow on 405, WWW-Authenticate on 401).</summary>
    sealed class WithHeader(ProblemHttpResult inner, string name, string value) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => inner.StatusCode;

        public ProblemHttpResult Inner => inner;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }

    static partial class Log
    {
        [LoggerMessage(EventId = 300, EventName = "ApiRequestFailed", Level = LogLevel.Error, Message = "API {Method} {Path} failed")]
        public static partial void Failed(ILogger logger, string method, string path, Exception exception);
    }
}
