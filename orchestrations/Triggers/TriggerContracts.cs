using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace GenAiServerless.Triggers;

/// <summary>What a trigger did with its input.</summary>
public enum TriggerOutcomeKind
{
    /// <summary>A new orchestration was scheduled.</summary>
    Started,

    /// <summary>The same input started an orchestration before: nothing new was scheduled (idempotent retry).</summary>
    AlreadyStarted,

    /// <summary>The input was accepted and needs no orchestration (a resolved alert, an event raised).</summary>
    Accepted,

    /// <summary>The input was invalid; it was quarantined where it is data.</summary>
    Rejected,

    /// <summary>The instance or model named does not exist.</summary>
    NotFound,

    /// <summary>The instance exists but its state does not allow the request (approve a run not waiting, cancel one
    /// that has ended).</summary>
    Conflict,
}

/// <summary>The result of a trigger: what happened, the instance concerned and a message naming what and where.</summary>
public sealed record TriggerOutcome(TriggerOutcomeKind Kind, string? InstanceId, string Message);

/// <summary>Body of <c>POST /api/models/{model}/deployments</c>.</summary>
/// <param name="RequestId">Optional idempotency key: a request with a key sent before starts nothing new and names the
/// deployment that key started; without one, every request starts a new deployment.</param>
public sealed record DeploymentCommand(int? Version, string? Alias, string? RequestId);

/// <summary>Body of <c>POST /api/pipelines/{id}/approve</c> and <c>…/reject</c>. Who decides is the verified caller,
/// never a field of the body.</summary>
public sealed record ApprovalCommand(string? Comment);

/// <summary>What <c>GET /api/pipelines/{id}</c> and <c>genai status</c> show.</summary>
/// <param name="Stage">The stage running now (<c>data</c> … <c>rollout</c>); null once the run has ended or for other orchestrations.</param>
/// <param name="CostUsd">What the run's training cost, once known.</param>
public sealed record PipelineStatusView(
    string InstanceId,
    string Name,
    string RuntimeStatus,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    JsonElement? Progress,
    JsonElement? Output,
    string? Failure,
    string? Stage = null,
    double? CostUsd = null);

/// <summary>Deterministic orchestration instance ids: the same trigger input always maps to the same id.</summary>
public static class InstanceIds
{
    /// <summary>The ETag is taken without its quotes: SDK calls render the same ETag quoted or bare.</summary>
    public static string ForDrop(string model, string blobName, string etag) =>
        $"{model}-drop-{Hash($"{blobName}|{etag?.Trim('"')}")}";

    public static string ForSchedule(string model, DateTimeOffset slot) =>
        $"{model}-sched-{slot.UtcDateTime.ToString("yyyyMMddHHmm", CultureInfo.InvariantCulture)}";

    public static string ForDriftAlert(string model, string alertId) => $"{model}-drift-{Hash(alertId)}";

    /// <summary>A deployment's id from its idempotency key (<see cref="DeploymentCommand.RequestId"/>, or a fresh one
    /// when the request has none).</summary>
    public static string ForDeployment(string model, int version, string requestId) =>
        $"{model}-deploy-v{version.ToString(CultureInfo.InvariantCulture)}-{Hash(requestId)}";

    /// <summary>The 16-hex-digit digest the ids end in; also what names a trigger's quarantine entries.</summary>
    public static string Hash(string s) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(s)).ToString("x16", CultureInfo.InvariantCulture);
}
