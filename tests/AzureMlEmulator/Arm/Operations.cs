using System.Globalization;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Control;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>The state of one ARM long-running operation (the values of an Azure-AsyncOperation body's <c>status</c>).</summary>
public enum OperationStatus
{
    InProgress,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>One long-running operation: what it works on, how it ended, and the error a fault rule forces on it.</summary>
sealed class Operation
{
    public required string Id { get; init; }

    public required string SubscriptionId { get; init; }

    public required string ApiVersion { get; init; }

    public required string BaseUri { get; init; }

    /// <summary>The resource body a finished operation's Location answers with (null: 204, the resource is gone).</summary>
    public required Func<JsonNode?> FinalResource { get; init; }

    public required DateTimeOffset StartTime { get; init; }

    public DateTimeOffset? EndTime { get; set; }

    public OperationStatus Status { get; set; } = OperationStatus.InProgress;

    public ArmError? Error { get; set; }

    public int FailureStatusCode { get; set; } = StatusCodes.Status400BadRequest;

    /// <summary>Set by an LRO fault rule when the operation starts: the operation will end Failed with this.</summary>
    public ArmError? ForcedError { get; init; }
}

/// <summary>Every long-running operation the emulator started, and the URLs clients poll them on.</summary>
/// <remarks>The URLs follow Azure ML's own (<c>…/locations/{region}/mfeOperationsStatus/{id}</c> for
/// Azure-AsyncOperation, <c>…/mfeOperationResults/{id}</c> for Location), absolute on the emulator's host.</remarks>
sealed class OperationStore(AzureMlEmulatorOptions options, FaultInjector faults, TimeProvider clock)
{
    readonly Lock gate = new();
    readonly Dictionary<string, Operation> operations = new(StringComparer.Ordinal);

    /// <summary>Starts an operation for the request being served; an LRO fault matching it forces a failure.</summary>
    public Operation Start(HttpContext context, WorkspaceScope scope, Func<JsonNode?> finalResource)
    {
        ArgumentNullException.ThrowIfNull(context);
        HttpRequest request = context.Request;
        var operation = new Operation
        {
            Id = Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture),
            SubscriptionId = scope.SubscriptionId,
            ApiVersion = request.Query["api-version"].ToString(),
            BaseUri = $"{request.Scheme}://{request.Host}",
            FinalResource = finalResource,
            StartTime = clock.GetUtcNow(),
            ForcedError = faults.TakeLroFault(request.Method, request.Path.Value ?? ""),
        };
        lock (gate)
        {
            operations[operation.Id] = operation;
        }

        return operation;
    }

    public Operation? Find(string id)
    {
        lock (gate)
        {
            return operations.GetValueOrDefault(id);
        }
    }

    /// <summary>The error the operation will end with: the worker's own, else the one a fault rule forced.</summary>
    public static ArmError? Outcome(Operation operation, ArmError? error) => error ?? operation.ForcedError;

    public void Finish(Operation operation, ArmError? error, int failureStatusCode = StatusCodes.Status400BadRequest)
    {
        ArgumentNullException.ThrowIfNull(operation);
        lock (gate)
        {
            ArmError? final = Outcome(operation, error);
            operation.Error = final;
            operation.FailureStatusCode = error is null && final is not null ? StatusCodes.Status500InternalServerError : failureStatusCode;
            operation.Status = final is null ? OperationStatus.Succeeded : OperationStatus.Failed;
            operation.EndTime = clock.GetUtcNow();
        }
    }

    string Prefix(Operation o) => $"{o.BaseUri}/subscriptions/{o.SubscriptionId}/providers/{WorkspaceScope.Provider}/locations/{options.Location}";

    public string AsyncOperationUrl(Operation o) => $"{Prefix(o)}/mfeOperationsStatus/{o.Id}?api-version={Uri.EscapeDataString(o.ApiVersion)}";

    public string LocationUrl(Operation o) => $"{Prefix(o)}/mfeOperationResults/{o.Id}?api-version={Uri.EscapeDataString(o.ApiVersion)}";

    public string RetryAfterSeconds => ((int)Math.Ceiling(options.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Headers of a response that starts an operation polled through Azure-AsyncOperation (PUT 201).</summary>
    public (string, string)[] AsyncHeaders(Operation o) => [("Azure-AsyncOperation", AsyncOperationUrl(o)), ("Retry-After", RetryAfterSeconds)];

    /// <summary>Headers of a 202 polled through Location (DELETE, PATCH, POST actions).</summary>
    public (string, string)[] LocationHeaders(Operation o) => [("Location", LocationUrl(o)), ("Retry-After", RetryAfterSeconds)];
}
