using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Assets;

/// <summary><c>PUT W/computes/{name}</c> (LRO: 201 + Azure-AsyncOperation, Creating → Succeeded) and
/// <c>GET W/computes/{name}</c>. The emulator stores computes to validate a job's <c>computeId</c> and to know a
/// low-priority cluster; it allocates no nodes.</summary>
static class ComputeRoutes
{
    const string Type = "Microsoft.MachineLearningServices/workspaces/computes";

    public static void MapComputes(this IEndpointRouteBuilder workspace)
    {
        workspace.MapPut("/computes/{name}", PutAsync);
        workspace.MapGet("/computes/{name}", (string subscriptionId, string resourceGroupName, string workspaceName, string name, ComputeRegistry registry) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            return registry.Find(scope, name) is { } compute ? ArmResults.Json(Resource(scope, compute)) : ArmResults.NotFound("computes", name);
        });
    }

    static async Task<IResult> PutAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string name,
        ComputeRegistry registry, OperationStore operations, EmulatorContext emulator)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (ResourceNames.Check(name, "compute") is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject body = await RequestBody.ReadObjectAsync(context.Request);
        RequestBody.RequireText(RequestBody.Properties(body), "computeType", "properties.computeType");
        body["location"] ??= emulator.Options.Location;
        (Compute compute, bool created) = registry.Put(scope, name, body);
        Operation operation = operations.Start(context, scope, () => registry.Find(scope, name) is { } c ? Resource(scope, c) : null);
        _ = Task.Run(async () =>
        {
            await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
            compute.ProvisioningState = OperationStore.Outcome(operation, null) is null ? "Succeeded" : "Failed";
            operations.Finish(operation, null);
        }, emulator.Stopping);
        return ArmResults.Json(Resource(scope, compute), created ? StatusCodes.Status201Created : StatusCodes.Status200OK)
            .WithHeaders(operations.AsyncHeaders(operation));
    }

    static JsonObject Resource(WorkspaceScope scope, Compute compute)
    {
        JsonObject resource = RequestBody.Clone(compute.Body);
        resource["id"] = scope.ChildId($"computes/{compute.Name}");
        resource["name"] = compute.Name;
        resource["type"] = Type;
        resource["systemData"] = SystemData.For(compute.Created, compute.Modified);
        if (resource["properties"] is JsonObject properties)
        {
            properties["provisioningState"] = compute.ProvisioningState;
            if (properties["properties"] is JsonObject aml)
            {
                aml["allocationState"] = "Steady";
                aml["currentNodeCount"] = 0;
                aml["targetNodeCount"] = 0;
                aml["nodeStateCounts"] = new JsonObject { ["idleNodeCount"] = 0, ["runningNodeCount"] = 0, ["preparingNodeCount"] = 0, ["unusableNodeCount"] = 0, ["leavingNodeCount"] = 0, ["preemptedNodeCount"] = 0 };
            }
        }

        return resource;
    }
}
