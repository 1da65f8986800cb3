using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>Every online endpoint. Endpoint names are unique per region on Azure (they become the scoring host name),
/// so here they are unique across workspaces: the scoring route finds an endpoint by name alone.</summary>
sealed class EndpointRegistry(EmulatorContext emulator, TimeProvider clock)
{
    public const string EndpointType = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints";
    public const string DeploymentType = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments";

    readonly Lock gate = new();
    readonly Dictionary<string, OnlineEndpoint> endpoints = new(StringComparer.OrdinalIgnoreCase);

    public OnlineEndpoint? Find(WorkspaceScope scope, string name)
    {
        lock (gate)
        {
            return endpoints.TryGetValue(name, out OnlineEndpoint? found) && found.Scope.SameWorkspace(scope) ? found : null;
        }
    }

    public OnlineEndpoint? FindByName(string name)
    {
        lock (gate)
        {
            return endpoints.GetValueOrDefault(name);
        }
    }

    public OnlineEndpoint[] List(WorkspaceScope scope)
    {
        lock (gate)
        {
            return [.. endpoints.Values.Where(e => e.Scope.SameWorkspace(scope)).OrderBy(e => e.Created)];
        }
    }

    public OnlineEndpoint[] All()
    {
        lock (gate)
        {
            return [.. endpoints.Values];
        }
    }

    /// <summary>The endpoint of this workspace, created when new; null when another workspace owns the name.</summary>
    public (OnlineEndpoint? Endpoint, bool Created) GetOrAdd(WorkspaceScope scope, string name)
    {
        lock (gate)
        {
            if (endpoints.TryGetValue(name, out OnlineEndpoint? existing))
            {
                return existing.Scope.SameWorkspace(scope) ? (existing, false) : (null, false);
            }

            var endpoint = new OnlineEndpoint(scope, name, clock.GetUtcNow());
            endpoints[name] = endpoint;
            return (endpoint, true);
        }
    }

    public void Remove(OnlineEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (gate)
        {
            if (endpoints.TryGetValue(endpoint.Name, out OnlineEndpoint? current) && ReferenceEquals(current, endpoint))
            {
                endpoints.Remove(endpoint.Name);
            }
        }
    }

    public string ScoringUri(OnlineEndpoint endpoint) => new Uri(emulator.BaseUri, $"score/{endpoint.Name}").AbsoluteUri;

    public JsonObject EndpointResource(OnlineEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (endpoint.Gate)
        {
            JsonObject resource = RequestBody.Clone(endpoint.Body);
            resource["id"] = endpoint.Scope.ChildId($"onlineEndpoints/{endpoint.Name}");
            resource["name"] = endpoint.Name;
            resource["type"] = EndpointType;
            JsonObject properties = resource["properties"] as JsonObject ?? [];
            resource["properties"] = properties;
            properties["provisioningState"] = endpoint.ProvisioningState;
            properties["scoringUri"] = ScoringUri(endpoint);
            properties["traffic"] ??= new JsonObject();
            properties["mirrorTraffic"] ??= new JsonObject();
            CompleteIdentity(resource, $"{endpoint.Scope.Key}/{endpoint.Name}");
            resource["systemData"] = SystemData.For(endpoint.Created, endpoint.Modified);
            return resource;
        }
    }

    public JsonObject DeploymentResource(OnlineEndpoint endpoint, OnlineDeployment deployment)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(deployment);
        lock (deployment.Gate)
        {
            JsonObject resource = RequestBody.Clone(deployment.Body);
            resource["id"] = endpoint.Scope.ChildId($"onlineEndpoints/{endpoint.Name}/deployments/{deployment.Name}");
            resource["name"] = deployment.Name;
            resource["type"] = DeploymentType;
            JsonObject properties = resource["properties"] as JsonObject ?? [];
            resource["properties"] = properties;
            properties["provisioningState"] = deployment.ProvisioningState;
            resource["sku"] ??= new JsonObject { ["name"] = "Default", ["capacity"] = deployment.Capacity };
            CompleteIdentity(resource, $"{endpoint.Scope.Key}/{endpoint.Name}/{deployment.Name}");
            resource["systemData"] = SystemData.For(deployment.Created, deployment.Modified);
            return resource;
        }
    }

    /// <summary>A system-assigned identity gets its read-only principal and tenant ids (stable per resource).</summary>
    void CompleteIdentity(JsonObject resource, string seed)
    {
        if (resource["identity"] is JsonObject identity && (RequestBody.Text(identity, "type") ?? "").Contains("SystemAssigned", StringComparison.OrdinalIgnoreCase))
        {
            identity["principalId"] = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(seed)).AsSpan(0, 16)).ToString();
            identity["tenantId"] = emulator.Options.TenantId;
        }
    }
}
