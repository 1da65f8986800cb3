using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>Online endpoints: <c>PUT</c> (201 + Azure-AsyncOperation, Creating/Updating → Succeeded),
/// <c>PATCH</c> (tags and identity only, 202 + Location), <c>GET</c>, <c>GET</c> list, <c>DELETE</c> (202 + Location;
/// 204 when absent; deletes the endpoint's deployments with it), <c>POST …/listKeys</c>, <c>POST …/token</c>.</summary>
/// <remarks>mfe.json defines the PATCH body as PartialMinimalTrackedResourceWithIdentity (<c>tags</c>, <c>identity</c>):
/// anything else in it, <c>properties.traffic</c> included, is ignored, so traffic changes only through a PUT of the
/// whole endpoint. Traffic must sum to 100, or to 0 (no live traffic: what a new endpoint or one being emptied
/// before a delete declares), and may only name existing deployments, Succeeded ones for a positive weight.
/// mirrorTraffic may name only Succeeded deployments that take no live traffic, and sums to at most 50.</remarks>
static class EndpointRoutes
{
    static readonly string[] AuthModes = ["Key", "AMLToken", "AADToken"];
    static readonly string[] ReadOnlyProperties = ["provisioningState", "scoringUri", "swaggerUri"];

    public static void MapOnlineEndpoints(this IEndpointRouteBuilder workspace)
    {
        workspace.MapPut("/onlineEndpoints/{endpointName}", PutAsync);
        workspace.MapPatch("/onlineEndpoints/{endpointName}", PatchAsync);
        workspace.MapGet("/onlineEndpoints/{endpointName}", (string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, EndpointRegistry registry) =>
            registry.Find(new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), endpointName) is { } endpoint
                ? ArmResults.Json(registry.EndpointResource(endpoint))
                : ArmResults.NotFound("onlineEndpoints", endpointName));
        workspace.MapGet("/onlineEndpoints", (string subscriptionId, string resourceGroupName, string workspaceName, EndpointRegistry registry) =>
            ArmResults.Json(new JsonObject
            {
                ["value"] = new JsonArray([.. registry.List(new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName)).Select(e => (JsonNode)registry.EndpointResource(e))]),
            }));
        workspace.MapDelete("/onlineEndpoints/{endpointName}", Delete);
        workspace.MapPost("/onlineEndpoints/{endpointName}/listKeys", (string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, EndpointRegistry registry) =>
        {
            if (registry.Find(new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), endpointName) is not { } endpoint)
            {
                return ArmResults.NotFound("onlineEndpoints", endpointName);
            }

            return string.Equals(endpoint.AuthMode, "Key", StringComparison.OrdinalIgnoreCase)
                ? ArmResults.Json(new JsonObject { ["primaryKey"] = endpoint.PrimaryKey, ["secondaryKey"] = endpoint.SecondaryKey })
                : ArmResults.BadRequest($"Endpoint '{endpointName}' uses authMode {endpoint.AuthMode}: keys exist for authMode Key only.", "authMode");
        });
        workspace.MapPost("/onlineEndpoints/{endpointName}/token", (string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, EndpointRegistry registry, TimeProvider clock) =>
        {
            if (registry.Find(new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), endpointName) is not { } endpoint)
            {
                return ArmResults.NotFound("onlineEndpoints", endpointName);
            }

            if (!string.Equals(endpoint.AuthMode, "AMLToken", StringComparison.OrdinalIgnoreCase))
            {
                return ArmResults.BadRequest($"Endpoint '{endpointName}' uses authMode {endpoint.AuthMode}: tokens exist for authMode AMLToken only.", "authMode");
            }

            string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            lock (endpoint.Gate)
            {
                endpoint.Tokens.Add(token);
            }

            long now = clock.GetUtcNow().ToUnixTimeSeconds();
            return ArmResults.Json(new JsonObject { ["accessToken"] = token, ["tokenType"] = "Bearer", ["expiryTimeUtc"] = now + 3600, ["refreshAfterTimeUtc"] = now + 1800 });
        });
    }

    static async Task<IResult> PutAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName,
        EndpointRegistry registry, OperationStore operations, EmulatorContext emulator, TimeProvider clock)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (ResourceNames.Check(endpointName, "endpoint") is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject body = RequestBody.Clone(await RequestBody.ReadObjectAsync(context.Request));
        RequestBody.RequireText(body, "location", "location");
        JsonObject properties = RequestBody.Properties(body);
        string authMode = RequestBody.RequireText(properties, "authMode", "properties.authMode");
        if (!AuthModes.Contains(authMode, StringComparer.OrdinalIgnoreCase))
        {
            return ArmResults.BadRequest($"authMode '{authMode}' is not one of {string.Join(", ", AuthModes)}.", "properties.authMode");
        }

        foreach (string field in ReadOnlyProperties)
        {
            properties.Remove(field);
        }

        foreach (string field in new[] { "id", "name", "type", "systemData" })
        {
            body.Remove(field);
        }

        Dictionary<string, int> traffic = RequestBody.IntMap(RequestBody.Object(properties, "traffic"), "properties.traffic");
        Dictionary<string, int> mirror = RequestBody.IntMap(RequestBody.Object(properties, "mirrorTraffic"), "properties.mirrorTraffic");
        (OnlineEndpoint? endpoint, bool created) = registry.GetOrAdd(scope, endpointName);
        if (endpoint is null)
        {
            return ArmResults.Conflict($"The endpoint name '{endpointName}' is already used by another workspace in this region: endpoint names are unique per region.", "name");
        }

        Operation operation;
        lock (endpoint.Gate)
        {
            if (string.Equals(endpoint.ProvisioningState, "Deleting", StringComparison.Ordinal))
            {
                return ArmResults.Conflict($"Endpoint '{endpointName}' is being deleted.", endpointName);
            }

            if (CheckTraffic(endpoint, traffic, mirror) is { } trafficError)
            {
                if (created)
                {
                    registry.Remove(endpoint);
                }

                return ArmResults.Error(StatusCodes.Status400BadRequest, trafficError);
            }

            endpoint.Body = body;
            endpoint.ProvisioningState = created ? "Creating" : "Updating";
            endpoint.Modified = clock.GetUtcNow();
            operation = operations.Start(context, scope, () => registry.FindByName(endpointName) is { } e ? registry.EndpointResource(e) : null);
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
            lock (endpoint.Gate)
            {
                if (OperationStore.Outcome(operation, null) is null)
                {
                    endpoint.ApplyTraffic();
                    endpoint.ProvisioningState = "Succeeded";
                }
                else
                {
                    endpoint.ProvisioningState = "Failed";
                }
            }

            operations.Finish(operation, null);
        }, emulator.Stopping);
        return ArmResults.Json(registry.EndpointResource(endpoint), StatusCodes.Status201Created).WithHeaders(operations.AsyncHeaders(operation));
    }

    static async Task<IResult> PatchAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName,
        EndpointRegistry registry, OperationStore operations, EmulatorContext emulator, TimeProvider clock)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (registry.Find(scope, endpointName) is not { } endpoint)
        {
            return ArmResults.NotFound("onlineEndpoints", endpointName);
        }

        JsonObject patch = await RequestBody.ReadObjectAsync(context.Request);
        lock (endpoint.Gate)
        {
            if (patch["tags"] is JsonObject tags)
            {
                endpoint.Body["tags"] = tags.DeepClone();
            }

            if (patch["identity"] is JsonObject identity)
            {
                endpoint.Body["identity"] = identity.DeepClone();
            }

            endpoint.Modified = clock.GetUtcNow();
        }

        Operation operation = operations.Start(context, scope, () => registry.Find(scope, endpointName) is { } e ? registry.EndpointResource(e) : null);
        _ = Task.Run(async () =>
        {
            await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
            operations.Finish(operation, null);
        }, emulator.Stopping);
        return ArmResults.Status(StatusCodes.Status202Accepted).WithHeaders(operations.LocationHeaders(operation));
    }

    static IResult Delete(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName,
        EndpointRegistry registry, OperationStore operations, EmulatorContext emulator)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (registry.Find(scope, endpointName) is not { } endpoint)
        {
            return ArmResults.Status(StatusCodes.Status204NoContent);
        }

        Operation operation = operations.Start(context, scope, () => null);
        lock (endpoint.Gate)
        {
            endpoint.ProvisioningState = "Deleting";
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
            if (OperationStore.Outcome(operation, null) is null)
            {
                // Deleting an endpoint deletes its deployments (az ml online-endpoint delete does the same).
                List<ScoringHarness> instances;
                lock (endpoint.Gate)
                {
                    instances = [.. endpoint.Deployments.Values.SelectMany(d => d.Instances)];
                    endpoint.Deployments.Clear();
                }

                registry.Remove(endpoint);
                foreach (ScoringHarness instance in instances)
                {
                    await instance.DisposeAsync();
                }
            }
            else
            {
                lock (endpoint.Gate)
                {
                    endpoint.ProvisioningState = "Failed";
                }
            }

            operations.Finish(operation, null);
        }, emulator.Stopping);
        return ArmResults.Status(StatusCodes.Status202Accepted).WithHeaders(operations.LocationHeaders(operation));
    }

    /// <summary>Null when the traffic and mirror traffic fit the endpoint's deployments (caller holds the endpoint's gate).</summary>
    static ArmError? CheckTraffic(OnlineEndpoint endpoint, Dictionary<string, int> traffic, Dictionary<string, int> mirror)
    {
        foreach ((string name, int weight) in traffic)
        {
            if (weight is < 0 or > 100)
            {
                return ArmError.User($"traffic for '{name}' must lie in 0..100, not {weight}.", $"properties.traffic.{name}");
            }

            if (Unusable(endpoint, name, weight) is { } error)
            {
                return ArmError.User(error, $"properties.traffic.{name}");
            }
        }

        int total = traffic.Values.Sum();
        if (total is not (0 or 100))
        {
            return ArmError.User($"traffic must sum to 100 (or 0 for no live traffic), not {total.ToString(CultureInfo.InvariantCulture)}.", "properties.traffic");
        }

        foreach ((string name, int weight) in mirror)
        {
            if (weight is < 0 or > 50)
            {
                return ArmError.User($"mirrorTraffic for '{name}' must lie in 0..50, not {weight}.", $"properties.mirrorTraffic.{name}");
            }

            if (weight > 0 && traffic.GetValueOrDefault(name) > 0)
            {
                return ArmError.User($"Deployment '{name}' takes live traffic, so it cannot also receive mirror traffic.", $"properties.mirrorTraffic.{name}");
            }

            if (Unusable(endpoint, name, weight) is { } error)
            {
                return ArmError.User(error, $"properties.mirrorTraffic.{name}");
            }
        }

        int mirrored = mirror.Values.Sum();
        return mirrored > 50 ? ArmError.User($"mirrorTraffic must sum to at most 50, not {mirrored.ToString(CultureInfo.InvariantCulture)}.", "properties.mirrorTraffic") : null;
    }

    static string? Unusable(OnlineEndpoint endpoint, string name, int weight)
    {
        if (!endpoint.Deployments.TryGetValue(name, out OnlineDeployment? deployment))
        {
            return $"Deployment '{name}' does not exist under endpoint '{endpoint.Name}'.";
        }

        string state;
        lock (deployment.Gate)
        {
            state = deployment.ProvisioningState;
        }

        return weight > 0 && !string.Equals(state, "Succeeded", StringComparison.Ordinal)
            ? $"Deployment '{name}' is {state}: only a Succeeded deployment can take traffic."
            : null;
    }
}
