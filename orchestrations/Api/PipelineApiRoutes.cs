using System.Text.Json;
using System.Text.RegularExpressions;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace GenAiServerless.Api;

/// <summary>The route table of the pipeline API and the work of each route.</summary>
public static partial class PipelineApiRoutes
{
    static readonly Dictionary<int, string> Outcome = new()
    {
        [200] = "the same request was handled before: nothing new was started",
        [202] = "accepted; Location names the run's status when one was started",
        [404] = "no such model, version or run",
    };

    /// <summary>Every route, in the order the OpenAPI document lists them.</summary>
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        new("GET", "/api/health", "getHealth", "Liveness of the API.", null, null, 0,
            new Dictionary<int, string> { [200] = "the API answers" }, _ => Task.FromResult<IResult>(TypedResults.Ok(new HealthView("ok")))),
        new("GET", "/api/openapi.json", "getOpenApi", "This API's OpenAPI 3.0 document, generated from the route table.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the document" }, _ => Task.FromResult<IResult>(TypedResults.Text(OpenApiDocument.Json(PipelineApi.Routes), "application/json"))),

        new("GET", "/api/pipelines", "listRuns", "The 50 most recent runs (pipelines, deployments, rollouts), newest first.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the runs" }, ListRunsAsync),
        new("GET", "/api/pipelines/{id}", "getRun", "A run: state, current stage, progress per stage, output, cost once known.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the run", [404] = "no such run" }, GetRunAsync),
        new("POST", "/api/pipelines/{id}/approve", "approveRun", "Release a run waiting at the evaluation gate; the approver is the caller.", ApiRole.Approver, typeof(ApprovalCommand), ApiRoute.CommandBodyLimit,
            new Dictionary<int, string> { [202] = "the approval was sent", [404] = "no such run", [409] = "the run is not waiting for approval" }, call => DecideAsync(call, approved: true)),
        new("POST", "/api/pipelines/{id}/reject", "rejectRun", "Reject a run waiting at the evaluation gate; the run ends failed.", ApiRole.Approver, typeof(ApprovalCommand), ApiRoute.CommandBodyLimit,
            new Dictionary<int, string> { [202] = "the rejection was sent", [404] = "no such run", [409] = "the run is not waiting for approval" }, call => DecideAsync(call, approved: false)),
        new("POST", "/api/pipelines/{id}/cancel", "cancelRun", "Cancel a running pipeline and its training or evaluation job.", ApiRole.Operator, typeof(OperatorCommand), ApiRoute.CommandBodyLimit,
            new Dictionary<int, string> { [202] = "cancelling", [404] = "no such run", [409] = "the run has ended" }, CancelAsync),
        new("POST", "/api/pipelines/{id}/rollout/pause", "pauseRollout", "Hold the run's rollout where it is.", ApiRole.Deployer, typeof(OperatorCommand), ApiRoute.CommandBodyLimit,
            RolloutResponses, call => RolloutAsync(call, RolloutAction.Pause)),
        new("POST", "/api/pipelines/{id}/rollout/resume", "resumeRollout", "Continue the run's paused rollout.", ApiRole.Deployer, typeof(OperatorCommand), ApiRoute.CommandBodyLimit,
            RolloutResponses, call => RolloutAsync(call, RolloutAction.Resume)),
        new("POST", "/api/pipelines/{id}/rollout/rollback", "rollbackRollout", "Give all traffic back to the previous deployment now.", ApiRole.Deployer, typeof(OperatorCommand), ApiRoute.CommandBodyLimit,
            RolloutResponses, call => RolloutAsync(call, RolloutAction.Rollback)),

        new("GET", "/api/models", "listModels", "The models the pipeline is configured for or the registry holds.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the models" }, ListModelsAsync),
        new("GET", "/api/models/{model}", "getModel", "A model's registered versions and where its aliases point.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the model", [404] = "no such model" }, GetModelAsync),
        new("GET", "/api/models/{model}/versions", "listVersions", "A model's registered versions, oldest first.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the versions", [404] = "no such model" }, ListVersionsAsync),
        new("GET", "/api/models/{model}/versions/{version:int}", "getVersion", "One registered version with its lineage and metrics.", ApiRole.Reader, null, 0,
            new Dictionary<int, string> { [200] = "the version", [404] = "no such version" }, GetVersionAsync),
        new("PUT", "/api/models/{model}/aliases/{alias}", "setAlias", "Point an alias (e.g. champion) at a registered version.", ApiRole.Deployer, typeof(AliasCommand), ApiRoute.CommandBodyLimit,
            new Dictionary<int, string> { [200] = "the alias now points at the version", [404] = "no such version" }, SetAliasAsync),
        new("POST", "/api/models/{model}/deployments", "deployVersion", "Roll out a registered version (by number or alias) to the model's endpoint; the deployer is the caller.", ApiRole.Deployer, typeof(DeploymentCommand), ApiRoute.CommandBodyLimit,
            Outcome, DeployAsync),

        new("POST", "/api/alerts", "postAlert", "A drift alert (Azure Monitor common alert schema, or an Azure ML dataset drift event): retrain the model it names.", ApiRole.Operator, typeof(JsonElement), ApiRoute.AlertBodyLimit,
            new Dictionary<int, string> { [200] = "this alert started a run before", [202] = "a retraining run was started, or the alert needs none (resolved)", [404] = "the alert names no known model" }, PostAlertAsync),
    ];

    static Dictionary<int, string> RolloutResponses => new()
    {
        [202] = "the command was sent to the rollout",
        [404] = "no such run",
        [409] = "the run has no rollout in progress",
    };

    /// <summary>The one mapping from a starter's <see cref="TriggerOutcome"/> to an answer.</summary>
    public static IResult ToResult(TriggerOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var body = new OutcomeResponse(outcome.InstanceId, outcome.Message);
        return outcome.Kind switch
        {
            TriggerOutcomeKind.Started when outcome.InstanceId is { } id => TypedResults.Accepted($"/api/pipelines/{Uri.EscapeDataString(id)}", body),

            // The same input again: nothing new was scheduled, and saying so with 200 keeps client retries idempotent.
            TriggerOutcomeKind.AlreadyStarted => TypedResults.Ok(body),
            TriggerOutcomeKind.Accepted or TriggerOutcomeKind.Started => TypedResults.Accepted((string?)null, body),
            TriggerOutcomeKind.NotFound => ApiProblems.NotFound(outcome.Message, instanceId: outcome.InstanceId),
            TriggerOutcomeKind.Conflict => ApiProblems.Conflict(outcome.Message, outcome.InstanceId),
            _ => ApiProblems.Problem(StatusCodes.Status400BadRequest, "The request was rejected", outcome.Message, FieldIn(outcome.Message), outcome.InstanceId),
        };
    }

    static async Task<IResult> ListRunsAsync(ApiCall call) => TypedResults.Ok(await call.Starter.ListRecentAsync(50, call.Aborted));

    static async Task<IResult> GetRunAsync(ApiCall call) =>
        await call.Starter.GetStatusAsync(call.Value("id"), call.Aborted) is { } view
            ? TypedResults.Ok(view)
            : ApiProblems.NotFound($"no run with id '{call.Value("id")}'", "id", call.Value("id"));

    static async Task<IResult> DecideAsync(ApiCall call, bool approved) =>
        ToResult(await call.Starter.ApproveAsync(call.Value("id"), approved, call.Caller.Name, call.Body<ApprovalCommand>().Comment, call.Aborted));

    static async Task<IResult> CancelAsync(ApiCall call) =>
        ToResult(await call.Starter.CancelAsync(call.Value("id"), call.Caller.Name, call.Aborted));

    static async Task<IResult> RolloutAsync(ApiCall call, RolloutAction action) =>
        ToResult(await call.Starter.SendRolloutCommandAsync(call.Value("id"), action, call.Caller.Name, call.Aborted));

    static async Task<IResult> DeployAsync(ApiCall call)
    {
        DeploymentCommand command = call.Body<DeploymentCommand>();
        if (command.Version is null == string.IsNullOrWhiteSpace(command.Alias))
        {
            return ApiProblems.BadRequest("version", "name exactly one of 'version' (a positive number) and 'alias'");
        }

        if (command.Version is <= 0)
        {
            return ApiProblems.BadRequest("version", $"'version' must be a positive number, got {command.Version}");
        }

        return ToResult(await call.Starter.StartDeploymentAsync(call.Value("model"), command, call.Caller.Name, call.Aborted));
    }

    static async Task<IResult> ListModelsAsync(ApiCall call)
    {
        IReadOnlyList<string> registered = await call.Registry.ListModelsAsync(call.Aborted);
        return TypedResults.Ok(call.Pipeline.Models.Union(registered, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select(m => new ModelSummary(m, call.Pipeline.IsKnown(m), registered.Contains(m, StringComparer.Ordinal)))
            .ToList());
    }

    static async Task<IResult> GetModelAsync(ApiCall call)
    {
        string model = call.Value("model");
        IReadOnlyList<ModelVersionInfo> versions = await call.Registry.ListVersionsAsync(model, call.Aborted);
        if (versions.Count == 0 && !call.Pipeline.IsKnown(model))
        {
            return UnknownModel(model);
        }

        var aliases = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string alias in new[] { ModelAliases.Champion, ModelAliases.Challenger })
        {
            if (await call.Registry.GetAliasAsync(model, alias, call.Aborted) is { } v)
            {
                aliases[alias] = v.Version;
            }
        }

        return TypedResults.Ok(new ModelView(model, call.Pipeline.IsKnown(model), versions, aliases));
    }

    static async Task<IResult> ListVersionsAsync(ApiCall call)
    {
        string model = call.Value("model");
        IReadOnlyList<ModelVersionInfo> versions = await call.Registry.ListVersionsAsync(model, call.Aborted);
        return versions.Count == 0 && !call.Pipeline.IsKnown(model) ? UnknownModel(model) : TypedResults.Ok(versions);
    }

    static async Task<IResult> GetVersionAsync(ApiCall call)
    {
        (string model, int version) = (call.Value("model"), call.IntValue("version"));
        return await call.Registry.GetVersionAsync(model, version, call.Aborted) is { } info
            ? TypedResults.Ok(info)
            : ApiProblems.NotFound($"{model} has no version {version} in the registry", "version");
    }

    static async Task<IResult> SetAliasAsync(ApiCall call)
    {
        (string model, string alias) = (call.Value("model"), call.Value("alias"));
        if (!AliasName().IsMatch(alias))
        {
            return ApiProblems.BadRequest("alias", $"alias '{alias}' must be 1-64 lower-case letters, digits or dashes, starting with a letter");
        }

        if (call.Body<AliasCommand>().Version is not (> 0 and int version))
        {
            return ApiProblems.BadRequest("version", "'version' must be a positive number");
        }

        if (await call.Registry.GetVersionAsync(model, version, call.Aborted) is null)
        {
            return ApiProblems.NotFound($"{model} has no version {version} in the registry", "version");
        }

        var assignment = new AliasAssignment(model, alias, version, call.Caller.Name, "moved through the API");
        await call.Registry.SetAliasAsync(assignment, call.Aborted);
        return TypedResults.Ok(new OutcomeResponse(null, $"{model} alias '{alias}' now points at version {version} (moved by {call.Caller.Name})"));
    }

    static async Task<IResult> PostAlertAsync(ApiCall call)
    {
        // Parsed first so the caller learns the faulty field; the starter parses again and quarantines nothing then.
        if (DriftAlertParser.TryParse(call.BodyText, out string error) is null)
        {
            return ApiProblems.BadRequest(FieldIn(error) ?? "body", $"the alert is not valid: {error}");
        }

        TriggerOutcome outcome = await call.Starter.StartForDriftAlertAsync(call.BodyText, call.Aborted);
        return outcome.Kind == TriggerOutcomeKind.Rejected && outcome.Message.Contains("unknown model", StringComparison.Ordinal)
            ? ApiProblems.NotFound(outcome.Message, "data.customProperties.model")
            : ToResult(outcome);
    }

    static ProblemHttpResult UnknownModel(string model) => ApiProblems.NotFound($"unknown model '{model}': neither configured nor registered", "model");

    /// <summary>The field a starter's or parser's message names (<c>field 'data.essentials'</c>, <c>'version'</c>).</summary>
    static string? FieldIn(string message) => FieldName().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"'([A-Za-z][A-Za-z0-9.]*)'")]
    private static partial Regex FieldName();

    [GeneratedRegex("^[a-z][a-z0-9-]{0,62}$")]
    private static partial Regex AliasName();
}
