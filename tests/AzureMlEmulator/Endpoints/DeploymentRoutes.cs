using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Assets;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>Online deployments: <c>PUT</c> (201 + Azure-AsyncOperation; 409 while another operation on it runs),
/// <c>PATCH</c> (<c>sku.capacity</c> and tags, 202 + Location), <c>GET</c>, <c>GET</c> list, <c>DELETE</c> (202 +
/// Location; 409 while the endpoint gives it traffic or mirror traffic; 204 when absent),
/// <c>POST …/getLogs</c> (<c>{"containerType":"InferenceServer|StorageInitializer","tail":N}</c> → <c>{"content"}</c>;
/// a tail of 0 or none returns the whole log).</summary>
static class DeploymentRoutes
{
    const string Base = "/onlineEndpoints/{endpointName}/deployments";
    static readonly string[] ComputeTypes = ["Managed", "Kubernetes", "AzureMLCompute"];

    public static void MapOnlineDeployments(this IEndpointRouteBuilder workspace)
    {
        workspace.MapPut(Base + "/{deploymentName}", PutAsync);
        workspace.MapPatch(Base + "/{deploymentName}", PatchAsync);
        workspace.MapGet(Base + "/{deploymentName}", (string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, string deploymentName, EndpointRegistry registry) =>
        {
            if (registry.Find(new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), endpointName) is not { } endpoint)
            {
                return ArmResults.NotFound("onlineEndpoints", endpointName);
            }

            return Find(endpoint, deploymentName) is { } deployment
                ? ArmResults.Json(registry.DeploymentResource(endpoint, deployment))
                : ArmResults.NotFound($"onlineEndpoints/{endpointName}/deployments", deploymentName);
        });
        workspace.MapGet(Base, (string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, EndpointRegistry registry) =>
        {
            if (registry.Find(new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName), endpointName) is not { } endpoint)
            {
                return ArmResults.NotFound("onlineEndpoints", endpointName);
            }

            OnlineDeployment[] deployments;
            lock (endpoint.Gate)
            {
                deployments = [.. endpoint.Deployments.Values.OrderBy(d => d.Created)];
            }

            return ArmResults.Json(new JsonObject { ["value"] = new JsonArray([.. deployments.Select(d => (JsonNode)registry.DeploymentResource(endpoint, d))]) });
        });
        workspace.MapDelete(Base + "/{deploymentName}", Delete);
        workspace.MapPost(Base + "/{deploymentName}/getLogs", GetLogsAsync);
    }

    static async Task<IResult> PutAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, string deploymentName,
        EndpointRegistry registry, AssetValidation validation, DeploymentProvisioner provisioner, OperationStore operations, TimeProvider clock)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (registry.Find(scope, endpointName) is not { } endpoint)
        {
            return ArmResults.NotFound("onlineEndpoints", endpointName);
        }

        if (ResourceNames.Check(deploymentName, "deployment") is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject body = RequestBody.Clone(await RequestBody.ReadObjectAsync(context.Request));
        RequestBody.RequireText(body, "location", "location");
        JsonObject properties = RequestBody.Properties(body);
        string computeType = RequestBody.RequireText(properties, "endpointComputeType", "properties.endpointComputeType");
        if (!ComputeTypes.Contains(computeType, StringComparer.OrdinalIgnoreCase))
        {
            return ArmResults.BadRequest($"endpointComputeType '{computeType}' is not one of {string.Join(", ", ComputeTypes)}.", "properties.endpointComputeType");
        }

        // The emulator serves scoring scripts; a no-code (MLflow) deployment has nothing for it to run.
        JsonObject configuration = RequestBody.Object(properties, "codeConfiguration")
            ?? throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User("'properties.codeConfiguration' (codeId and scoringScript) is required by the emulator.", "properties.codeConfiguration"));
        RequestBody.RequireText(configuration, "codeId", "properties.codeConfiguration.codeId");
        RequestBody.RequireText(configuration, "scoringScript", "properties.codeConfiguration.scoringScript");
        if (validation.CheckEnvironmentId(RequestBody.Text(properties, "environmentId"), "properties.environmentId") is { } environmentError)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, environmentError);
        }

        if (RequestBody.Int(RequestBody.Object(body, "sku"), "capacity") is < 1)
        {
            return ArmResults.BadRequest("sku.capacity (the instance count) must be at least 1.", "sku.capacity");
        }

        RequestBody.Duration(RequestBody.Object(properties, "requestSettings"), "requestTimeout", "properties.requestSettings.requestTimeout");
        properties.Remove("provisioningState");
        foreach (string field in new[] { "id", "name", "type", "systemData" })
        {
            body.Remove(field);
        }

        OnlineDeployment deployment;
        bool created;
        int generation;
        lock (endpoint.Gate)
        {
            if (string.Equals(endpoint.ProvisioningState, "Deleting", StringComparison.Ordinal))
            {
                return ArmResults.Conflict($"Endpoint '{endpointName}' is being deleted.", endpointName);
            }

            created = !endpoint.Deployments.TryGetValue(deploymentName, out OnlineDeployment? existing);
            deployment = existing ?? new OnlineDeployment(endpointName, deploymentName, clock.GetUtcNow());
            lock (deployment.Gate)
            {
                if (deployment.Busy && !created)
                {
                    return ArmResults.Conflict($"Deployment '{deploymentName}' is {deployment.ProvisioningState}: wait for that operation to end.", deploymentName);
                }

                deployment.Body = body;
                deployment.ProvisioningState = created ? "Creating" : "Updating";
                deployment.Generation++;
                deployment.Modified = clock.GetUtcNow();
                generation = deployment.Generation;
            }

            endpoint.Deployments[deploymentName] = deployment;
        }

        Operation operation = operations.Start(context, scope, () => Find(endpoint, deploymentName) is { } d ? registry.DeploymentResource(endpoint, d) : null);
        _ = Task.Run(() => provisioner.ProvisionAsync(endpoint, deployment, generation, operation));
        return ArmResults.Json(registry.DeploymentResource(endpoint, deployment), StatusCodes.Status201Created).WithHeaders(operations.AsyncHeaders(operation));
    }

    static async Task<IResult> PatchAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, string deploymentName,
        EndpointRegistry registry, DeploymentProvisioner provisioner, OperationStore operations, TimeProvider clock)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (registry.Find(scope, endpointName) is not { } endpoint || Find(endpoint, deploymentName) is not { } deployment)
        {
            return ArmResults.NotFound($"onlineEndpoints/{endpointName}/deployments", deploymentName);
        }

        JsonObject patch = await RequestBody.ReadObjectAsync(context.Request);
        int? capacity = RequestBody.Int(RequestBody.Object(patch, "sku"), "capacity");
        if (capacity is < 1)
        {
            return ArmResults.BadRequest("sku.capacity (the instance count) must be at least 1.", "sku.capacity");
        }

        lock (deployment.Gate)
        {
            if (deployment.Busy)
            {
                return ArmResults.Conflict($"Deployment '{deploymentName}' is {deployment.ProvisioningState}: wait for that operation to end.", deploymentName);
            }

            if (patch["tags"] is JsonObject tags)
            {
                deployment.Body["tags"] = tags.DeepClone();
            }

            if (capacity is { } n)
            {
                JsonObject sku = deployment.Body["sku"] as JsonObject ?? new JsonObject { ["name"] = "Default" };
                sku["capacity"] = n;
                deployment.Body["sku"] = sku;
                deployment.ProvisioningState = "Scaling";
            }

            deployment.Modified = clock.GetUtcNow();
        }

        Operation operation = operations.Start(context, scope, () => Find(endpoint, deploymentName) is { } d ? registry.DeploymentResource(endpoint, d) : null);
        if (capacity is { } instances)
        {
            _ = Task.Run(() => provisioner.ScaleAsync(endpoint, deployment, instances, operation));
        }
        else
        {
            operations.Finish(operation, null);
        }

        return ArmResults.Status(StatusCodes.Status202Accepted).WithHeaders(operations.LocationHeaders(operation));
    }

    static IResult Delete(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, string deploymentName,
        EndpointRegistry registry, OperationStore operations, EmulatorContext emulator)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (registry.Find(scope, endpointName) is not { } endpoint || Find(endpoint, deploymentName) is not { } deployment)
        {
            return ArmResults.Status(StatusCodes.Status204NoContent);
        }

        lock (endpoint.Gate)
        {
            if (endpoint.DeclaredTraffic.GetValueOrDefault(deploymentName) > 0 || endpoint.LiveTraffic.GetValueOrDefault(deploymentName) > 0)
            {
                return ArmResults.Conflict($"Deployment '{deploymentName}' still takes traffic on endpoint '{endpointName}': set its traffic to 0 (PUT the endpoint) before deleting it.", deploymentName);
            }

            if (endpoint.DeclaredMirror.GetValueOrDefault(deploymentName) > 0 || endpoint.LiveMirror.ContainsKey(deploymentName))
            {
                return ArmResults.Conflict($"Deployment '{deploymentName}' still takes mirror traffic on endpoint '{endpointName}': set its mirrorTraffic to 0 before deleting it.", deploymentName);
            }

            lock (deployment.Gate)
            {
                deployment.ProvisioningState = "Deleting";
            }
        }

        Operation operation = operations.Start(context, scope, () => null);
        _ = Task.Run(async () =>
        {
            await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
            if (OperationStore.Outcome(operation, null) is null)
            {
                List<ScoringHarness> instances;
                lock (endpoint.Gate)
                {
                    endpoint.Deployments.Remove(deploymentName);
                    (endpoint.Properties["traffic"] as JsonObject)?.Remove(deploymentName);
                    (endpoint.Properties["mirrorTraffic"] as JsonObject)?.Remove(deploymentName);
                    lock (deployment.Gate)
                    {
                        instances = deployment.Instances;
                        deployment.Instances = [];
                    }
                }

                foreach (ScoringHarness instance in instances)
                {
                    await instance.DisposeAsync();
                }
            }
            else
            {
                lock (deployment.Gate)
                {
                    deployment.ProvisioningState = "Failed";
                }
            }

            operations.Finish(operation, null);
        }, emulator.Stopping);
        return ArmResults.Status(StatusCodes.Status202Accepted).WithHeaders(operations.LocationHeaders(operation));
    }

    static async Task<IResult> GetLogsAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string endpointName, string deploymentName,
        EndpointRegistry registry)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (registry.Find(scope, endpointName) is not { } endpoint || Find(endpoint, deploymentName) is not { } deployment)
        {
            return ArmResults.NotFound($"onlineEndpoints/{endpointName}/deployments", deploymentName);
        }

        JsonObject request = await RequestBody.ReadOptionalObjectAsync(context.Request);
        string containerType = RequestBody.Text(request, "containerType") ?? "InferenceServer";
        DeploymentRuntime? runtime;
        lock (deployment.Gate)
        {
            runtime = deployment.Runtime;
        }

        string? file = containerType.ToUpperInvariant() switch
        {
            "INFERENCESERVER" => runtime?.InferenceServerLog,
            "STORAGEINITIALIZER" => runtime?.StorageInitializerLog,
            _ => throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"containerType '{containerType}' is not one of InferenceServer, StorageInitializer.", "containerType")),
        };
        string[] lines = file is not null && File.Exists(file) ? await ReadSharedLinesAsync(file) : [];
        int tail = RequestBody.Int(request, "tail") ?? 0;
        IEnumerable<string> shown = tail > 0 ? lines.TakeLast(tail) : lines;
        return ArmResults.Json(new JsonObject { ["content"] = string.Join('\n', shown) });
    }

    static async Task<string[]> ReadSharedLinesAsync(string file)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        string[] lines = (await reader.ReadToEndAsync()).Split('\n');
        return [.. (lines[^1].Length == 0 ? lines[..^1] : lines).Select(l => l.TrimEnd('\r'))];
    }

    static OnlineDeployment? Find(OnlineEndpoint endpoint, string name)
    {
        lock (endpoint.Gate)
        {
            return endpoint.Deployments.GetValueOrDefault(name);
        }
    }
}
