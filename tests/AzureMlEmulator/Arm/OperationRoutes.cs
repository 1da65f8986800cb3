using System.Text.Json.Nodes;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>The two polling URLs of a long-running operation.</summary>
static class OperationRoutes
{
    const string Locations = "/subscriptions/{subscriptionId}/providers/Microsoft.MachineLearningServices/locations/{location}";

    public static void MapOperations(this IEndpointRouteBuilder app)
    {
        // Azure-AsyncOperation: always 200 with the status body (ARM RPC), the error when it failed.
        app.MapGet(Locations + "/mfeOperationsStatus/{operationId}", (string operationId, OperationStore store) =>
        {
            if (store.Find(operationId) is not { } op)
            {
                return ArmResults.NotFound("operations", operationId);
            }

            var body = new JsonObject
            {
                ["id"] = store.AsyncOperationUrl(op),
                ["name"] = op.Id,
                ["status"] = op.Status.ToString(),
                ["startTime"] = SystemData.Format(op.StartTime),
            };
            if (op.EndTime is { } end)
            {
                body["endTime"] = SystemData.Format(end);
            }

            if (op.Error is { } error)
            {
                body["error"] = error.ToJson()["error"]!.DeepClone();
            }

            IResult result = ArmResults.Json(body);
            return op.Status == OperationStatus.InProgress ? result.WithHeaders(("Retry-After", store.RetryAfterSeconds)) : result;
        });

        // Location: 202 while running; 200 with the resource (204 when it is gone) once done; the error status when failed.
        app.MapGet(Locations + "/mfeOperationResults/{operationId}", (string operationId, OperationStore store) =>
        {
            if (store.Find(operationId) is not { } op)
            {
                return ArmResults.NotFound("operations", operationId);
            }

            return op.Status switch
            {
                OperationStatus.InProgress => ArmResults.Status(StatusCodes.Status202Accepted).WithHeaders(store.LocationHeaders(op)),
                OperationStatus.Failed => ArmResults.Error(op.FailureStatusCode, op.Error!),
                _ => op.FinalResource() is { } resource ? ArmResults.Json(resource) : ArmResults.Status(StatusCodes.Status204NoContent),
            };
        });
    }
}
