using GenAiServerless.Registry;

namespace GenAiServerless.Api;

/// <summary>What a command route answers: the instance concerned and what happened.</summary>
public sealed record OutcomeResponse(string? InstanceId, string Message);

/// <summary>Body of <c>POST /api/pipelines/{id}/cancel</c> and the rollout commands: an optional reason, kept in the
/// log beside the verified caller.</summary>
public sealed record OperatorCommand(string? Reason);

/// <summary>Body of <c>PUT /api/models/{model}/aliases/{alias}</c>.</summary>
public sealed record AliasCommand(int? Version);

/// <summary>One model as <c>GET /api/models</c> lists it.</summary>
/// <param name="Configured">Named in <c>Pipeline:Models</c>, so drops, schedules and alerts start runs for it.</param>
/// <param name="Registered">The registry holds versions or aliases of it.</param>
public sealed record ModelSummary(string Name, bool Configured, bool Registered);

/// <summary><c>GET /api/models/{model}</c>: its versions and where the pipeline's aliases point.</summary>
public sealed record ModelView(string Name, bool Configured, IReadOnlyList<ModelVersionInfo> Versions, IReadOnlyDictionary<string, int> Aliases);

/// <summary><c>GET /api/health</c>.</summary>
public sealed record HealthView(string Status);
