using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Storage;

/// <summary><c>PUT/GET W/datastores/{name}</c>, <c>GET W/datastores</c> (synchronous 200/201, DatastoreResource).</summary>
static class DatastoreRoutes
{
    const string Type = "Microsoft.MachineLearningServices/workspaces/datastores";

    public static void MapDatastores(this IEndpointRouteBuilder workspace)
    {
        workspace.MapPut("/datastores/{name}", PutAsync);
        workspace.MapGet("/datastores/{name}", (string subscriptionId, string resourceGroupName, string workspaceName, string name, DatastoreRegistry registry) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            return registry.Find(scope, name) is { } datastore ? ArmResults.Json(Resource(scope, datastore)) : ArmResults.NotFound("datastores", name);
        });
        workspace.MapGet("/datastores", (string subscriptionId, string resourceGroupName, string workspaceName, DatastoreRegistry registry) =>
        {
            var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
            return ArmResults.Json(new JsonObject { ["value"] = new JsonArray([.. registry.List(scope).Select(d => (JsonNode)Resource(scope, d))]) });
        });
    }

    static async Task<IResult> PutAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string name, DatastoreRegistry registry)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (ResourceNames.Check(name, "datastore") is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject properties = RequestBody.Properties(await RequestBody.ReadObjectAsync(context.Request));
        string type = RequestBody.RequireText(properties, "datastoreType", "properties.datastoreType");
        if (!string.Equals(type, "AzureBlob", StringComparison.OrdinalIgnoreCase))
        {
            return ArmResults.BadRequest($"datastoreType '{type}' is not supported by the emulator: only AzureBlob is.", "properties.datastoreType");
        }

        RequestBody.RequireText(properties, "accountName", "properties.accountName");
        string container = RequestBody.RequireText(properties, "containerName", "properties.containerName");
        if (RequestBody.Object(properties, "credentials") is not { } credentials || RequestBody.Text(credentials, "credentialsType") is null)
        {
            return ArmResults.BadRequest("'properties.credentials.credentialsType' is required.", "properties.credentials");
        }

        credentials.Remove("secrets"); // secrets are write-only in ARM
        // Identity-based datastores point at an existing container; the emulator creates it so tests need no setup.
        await registry.Service.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: context.RequestAborted);
        bool created = registry.Put(scope, name, container, properties);
        return ArmResults.Json(Resource(scope, registry.Find(scope, name)!), created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    static JsonObject Resource(WorkspaceScope scope, Datastore datastore) => new()
    {
        ["id"] = scope.ChildId($"datastores/{datastore.Name}"),
        ["name"] = datastore.Name,
        ["type"] = Type,
        ["properties"] = datastore.Properties.DeepClone(),
        ["systemData"] = SystemData.For(datastore.Created, datastore.Modified),
    };
}
