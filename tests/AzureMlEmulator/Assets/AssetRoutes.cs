using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Assets;

/// <summary>Containers and versions of codes, environments and models (all synchronous, 200/201):
/// <c>PUT/GET W/{kind}/{name}</c>, <c>GET W/{kind}</c>, <c>PUT/GET W/{kind}/{name}/versions/{version}</c>,
/// <c>GET W/{kind}/{name}/versions</c> (<c>$orderBy=createdtime asc|desc</c>, <c>$top</c>).</summary>
static class AssetRoutes
{
    static readonly string[] ReadOnlyFields = ["provisioningState", "environmentType", "latestVersion", "nextVersion"];

    public static void MapAssets(this IEndpointRouteBuilder workspace)
    {
        foreach (AssetKind kind in new[] { AssetKind.Codes, AssetKind.Environments, AssetKind.Models })
        {
            workspace.MapPut($"/{kind.Segment}/{{name}}", (HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string name, AssetRegistry registry) =>
                PutContainerAsync(kind, context, new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), name, registry));
            workspace.MapGet($"/{kind.Segment}/{{name}}", (string subscriptionId, string resourceGroupName, string workspaceName, string name, AssetRegistry registry) =>
            {
                var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
                return registry.FindContainer(kind, scope, name) is { } container ? ArmResults.Json(ContainerResource(kind, scope, container)) : ArmResults.NotFound(kind.Segment, name);
            });
            workspace.MapGet($"/{kind.Segment}", (string subscriptionId, string resourceGroupName, string workspaceName, AssetRegistry registry) =>
            {
                var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
                return ArmResults.Json(Page(registry.ListContainers(kind, scope).Select(c => ContainerResource(kind, scope, c))));
            });
            workspace.MapPut($"/{kind.Segment}/{{name}}/versions/{{version}}", (HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string name, string version, AssetRegistry registry, AssetValidation validation) =>
                PutVersionAsync(kind, context, new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), name, version, registry, validation));
            workspace.MapGet($"/{kind.Segment}/{{name}}/versions/{{version}}", (string subscriptionId, string resourceGroupName, string workspaceName, string name, string version, AssetRegistry registry) =>
            {
                var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
                return registry.FindVersion(kind, scope, name, version) is { } found ? ArmResults.Json(VersionResource(kind, scope, name, found)) : ArmResults.NotFound($"{kind.Segment}/{name}/versions", version);
            });
            workspace.MapGet($"/{kind.Segment}/{{name}}/versions", (HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string name, AssetRegistry registry) =>
            {
                var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
                IEnumerable<AssetVersion> versions = registry.FindContainer(kind, scope, name)?.Versions.ToArray() ?? [];
                if (context.Request.Query["$orderBy"].ToString().Contains("desc", StringComparison.OrdinalIgnoreCase))
                {
                    versions = versions.Reverse();
                }

                if (int.TryParse(context.Request.Query["$top"], out int top) && top >= 0)
                {
                    versions = versions.Take(top);
                }

                return ArmResults.Json(Page(versions.Select(v => VersionResource(kind, scope, name, v))));
            });
        }
    }

    static async Task<IResult> PutContainerAsync(AssetKind kind, HttpContext context, WorkspaceScope scope, string name, AssetRegistry registry)
    {
        if (ResourceNames.Check(name, kind.Noun) is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject properties = RequestBody.Properties(await RequestBody.ReadObjectAsync(context.Request));
        (AssetContainer container, bool created) = registry.PutContainer(kind, scope, name, properties);
        return ArmResults.Json(ContainerResource(kind, scope, container), created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    static async Task<IResult> PutVersionAsync(AssetKind kind, HttpContext context, WorkspaceScope scope, string name, string version, AssetRegistry registry, AssetValidation validation)
    {
        if (ResourceNames.Check(name, kind.Noun) is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject properties = RequestBody.Clone(RequestBody.Properties(await RequestBody.ReadObjectAsync(context.Request)));
        foreach (string field in ReadOnlyFields)
        {
            properties.Remove(field);
        }

        await validation.ValidateAsync(kind, scope, properties, context.RequestAborted);
        (VersionPutOutcome outcome, AssetVersion? stored, string? conflict) = registry.PutVersion(kind, scope, name, version, properties);
        return outcome switch
        {
            VersionPutOutcome.Conflict => ArmResults.Conflict(conflict!, "properties"),
            VersionPutOutcome.Created => ArmResults.Json(VersionResource(kind, scope, name, stored!), StatusCodes.Status201Created),
            _ => ArmResults.Json(VersionResource(kind, scope, name, stored!)),
        };
    }

    static JsonObject Page(IEnumerable<JsonObject> items) => new() { ["value"] = new JsonArray([.. items.Cast<JsonNode>()]) };

    public static JsonObject ContainerResource(AssetKind kind, WorkspaceScope scope, AssetContainer container)
    {
        JsonObject properties = RequestBody.Clone(container.Properties);
        properties["isArchived"] ??= false;
        properties["latestVersion"] = container.LatestVersion;
        properties["nextVersion"] = container.NextVersion;
        properties["provisioningState"] = "Succeeded";
        return new JsonObject
        {
            ["id"] = scope.ChildId($"{kind.Segment}/{container.Name}"),
            ["name"] = container.Name,
            ["type"] = kind.ContainerType,
            ["properties"] = properties,
            ["systemData"] = SystemData.For(container.Created, container.Modified),
        };
    }

    public static JsonObject VersionResource(AssetKind kind, WorkspaceScope scope, string name, AssetVersion version)
    {
        JsonObject properties = RequestBody.Clone(version.Properties);
        properties["provisioningState"] = "Succeeded";
        if (kind == AssetKind.Environments)
        {
            properties["environmentType"] = "UserCreated";
        }

        return new JsonObject
        {
            ["id"] = scope.ChildId($"{kind.Segment}/{name}/versions/{version.Version}"),
            ["name"] = version.Version,
            ["type"] = kind.VersionType,
            ["properties"] = properties,
            ["systemData"] = SystemData.For(version.Created, version.Modified),
        };
    }
}
