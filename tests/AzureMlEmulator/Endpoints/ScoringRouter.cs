using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Control;
using GenAiServerless.AzureMlEmulator.Metrics;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary><c>POST /score/{endpoint}</c>, the endpoint's scoringUri. Authenticates per authMode (Key: the primary or
/// secondary key; AMLToken: a token from <c>…/token</c>; AADToken: the emulator's ARM token), routes by the live
/// traffic weights (or to the deployment the <c>azureml-model-deployment</c> header pins), copies a share of requests
/// to mirror deployments (their answers discarded; pinned requests are not mirrored), and names the deployment that
/// answered in the <c>azureml-model-deployment</c> response header. Failures use the status codes Azure ML documents
/// for online endpoints: 404 no deployment with positive weight (or the pinned one does not exist), 408 run() exceeded
/// requestSettings.requestTimeout, 424 run() raised (ms-azureml-model-error-statuscode/-reason headers), 429 too many
/// pending requests (2 × maxConcurrentRequestsPerInstance × instances), 502 the scoring container crashed, 503 the
/// deployment has no live instance.</summary>
static class ScoringRouter
{
    public const string DeploymentHeader = "azureml-model-deployment";

    public static void MapScoring(this IEndpointRouteBuilder app) => app.MapPost("/score/{endpointName}", ScoreAsync);

    static async Task<IResult> ScoreAsync(HttpContext context, string endpointName, EndpointRegistry registry, FaultInjector faults, RequestMetrics metrics, EmulatorContext emulator)
    {
        if (registry.FindByName(endpointName) is not { } endpoint)
        {
            return Error(StatusCodes.Status404NotFound, "EndpointNotFound", $"Endpoint '{endpointName}' does not exist.");
        }

        if (!Authorized(context, endpoint, emulator))
        {
            return Error(StatusCodes.Status401Unauthorized, "Unauthorized", "The request carries no valid credential for this endpoint (Authorization: Bearer <key or token>).");
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        string body = await reader.ReadToEndAsync(context.RequestAborted);
        string? pinned = context.Request.Headers[DeploymentHeader].FirstOrDefault();
        var watch = Stopwatch.StartNew();
        string? deploymentName;
        OnlineDeployment? deployment;
        lock (endpoint.Gate)
        {
            deploymentName = string.IsNullOrEmpty(pinned) ? endpoint.Split.Next() : pinned;
            deployment = deploymentName is null ? null : endpoint.Deployments.GetValueOrDefault(deploymentName);
            if (string.IsNullOrEmpty(pinned))
            {
                foreach ((string mirrorName, PercentSampler sampler) in endpoint.LiveMirror)
                {
                    if (sampler.Next() && endpoint.Deployments.TryGetValue(mirrorName, out OnlineDeployment? mirror))
                    {
                        _ = Task.Run(() => ForwardAsync(endpoint, mirror, body, faults, metrics, mirrored: true, emulator.Stopping));
                    }
                }
            }
        }

        if (deployment is null)
        {
            IResult notFound = deploymentName is null
                ? Error(StatusCodes.Status404NotFound, "NoValidDeployment", $"Endpoint '{endpointName}' has no deployment with a positive traffic weight; pin one with the {DeploymentHeader} header.")
                : Error(StatusCodes.Status404NotFound, "DeploymentNotFound", $"Endpoint '{endpointName}' has no deployment '{deploymentName}'.");
            metrics.Record(new RequestSample(endpoint.Scope.Key, endpoint.Name, "", StatusCodes.Status404NotFound, null, watch.Elapsed.TotalMilliseconds, false));
            return notFound;
        }

        (_, IResult result) = await ForwardAsync(endpoint, deployment, body, faults, metrics, mirrored: false, context.RequestAborted);
        return result.WithHeaders((DeploymentHeader, deployment.Name));
    }

    /// <summary>Sends one request to a deployment's least busy instance and records the outcome in the metrics.</summary>
    static async Task<(int Status, IResult Result)> ForwardAsync(OnlineEndpoint endpoint, OnlineDeployment deployment, string body, FaultInjector faults,
        RequestMetrics metrics, bool mirrored, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        int? modelStatus = null;
        int status;
        IResult result;
        ScoringHarness? instance;
        int limit;
        lock (deployment.Gate)
        {
            instance = deployment.Instances.Where(i => i.Alive).MinBy(i => i.Pending);
            limit = 2 * deployment.MaxConcurrentPerInstance * Math.Max(1, deployment.Instances.Count);
        }

        if (instance is null)
        {
            (status, result) = Failure(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailable", $"Deployment '{deployment.Name}' has no live instance.");
        }
        else if (Interlocked.Increment(ref deployment.InFlight) > limit)
        {
            Interlocked.Decrement(ref deployment.InFlight);
            (status, result) = Failure(StatusCodes.Status429TooManyRequests, "TooManyPendingRequests", $"Deployment '{deployment.Name}' already has {limit} pending requests.");
        }
        else
        {
            try
            {
                ScoringFault? fault = faults.ScoringFaultFor(endpoint.Name, deployment.Name);
                if (fault is { Request.LatencyMs: > 0 })
                {
                    await Task.Delay(fault.Request.LatencyMs, cancellationToken);
                }

                if (fault is not null && fault.Request.FailureRate > 0 && fault.NextFails())
                {
                    (status, result) = Failure(fault.Request.Status, "InjectedFault", $"Injected scoring failure on deployment '{deployment.Name}'.");
                }
                else
                {
                    TimeSpan remaining = deployment.RequestTimeout - watch.Elapsed;
                    ScoringReply reply = remaining > TimeSpan.Zero
                        ? await instance.ScoreAsync(body, remaining, cancellationToken)
                        : new ScoringReply(ScoringOutcome.Timeout, null, "the request timeout elapsed before run() was called");
                    (status, modelStatus, result) = reply.Outcome switch
                    {
                        ScoringOutcome.Ok => (StatusCodes.Status200OK, (int?)StatusCodes.Status200OK, Results.Content(reply.Body, "application/json", Encoding.UTF8, StatusCodes.Status200OK)),
                        ScoringOutcome.ScriptError => (StatusCodes.Status424FailedDependency, StatusCodes.Status500InternalServerError,
                            Error(StatusCodes.Status424FailedDependency, "ModelError", $"run() raised {reply.Error}")
                                .WithHeaders(("ms-azureml-model-error-statuscode", "500"), ("ms-azureml-model-error-reason", Header(reply.Error!)))),
                        ScoringOutcome.Timeout => (StatusCodes.Status408RequestTimeout, null, Error(StatusCodes.Status408RequestTimeout, "RequestTimeout", reply.Error!)),
                        _ => (StatusCodes.Status502BadGateway, null, Error(StatusCodes.Status502BadGateway, "BadGateway", reply.Error!)),
                    };
                }
            }
            finally
            {
                Interlocked.Decrement(ref deployment.InFlight);
            }
        }

        metrics.Record(new RequestSample(endpoint.Scope.Key, endpoint.Name, deployment.Name, status, modelStatus, watch.Elapsed.TotalMilliseconds, mirrored));
        return (status, result);
    }

    static bool Authorized(HttpContext context, OnlineEndpoint endpoint, EmulatorContext emulator)
    {
        string header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string credential = header["Bearer ".Length..].Trim();
        lock (endpoint.Gate)
        {
            return endpoint.AuthMode.ToUpperInvariant() switch
            {
                "KEY" => credential == endpoint.PrimaryKey || credential == endpoint.SecondaryKey,
                "AMLTOKEN" => endpoint.Tokens.Contains(credential),
                _ => credential == emulator.BearerToken,
            };
        }
    }

    static (int, IResult) Failure(int status, string code, string message) => (status, Error(status, code, message));

    static IResult Error(int status, string code, string message) => ArmResults.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }, status);

    /// <summary>A header value must be one line of printable ASCII.</summary>
    static string Header(string value) => new([.. value.Take(200).Select(c => c is >= ' ' and <= '~' ? c : ' ')]);
}
