using System.Text.Json.Nodes;
using static GenAiServerless.Tests.Bicep.DeploymentSnapshot;

namespace GenAiServerless.Tests.Bicep;

/// <summary>Every role assignment of the deployment as predicted: who holds which role on what. The table is the
/// least-privilege design; the rules after it say what must hold whatever the table becomes.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class RoleAssignmentTests(MainTemplateFixture fixture)
{
    private static readonly string[] WriteRoles = ["StorageBlobDataOwner", "StorageBlobDataContributor", "Owner", "Contributor", "StorageAccountContributor"];

    public static TheoryData<string> Networking => ["public", "private"];

    [Theory]
    [MemberData(nameof(Networking))]
    public void RoleAssignments_Table_IsTheLeastPrivilegeDesign(string networking)
    {
        string[] expected =
        [
            "data-topic | StorageBlobDataContributor | data/eventgrid-deadletter",
            "deployment | StorageBlobDataContributor | host/app-package",
            "developer | AzureMLDataScientist | workspace",
            "developer | AzureServiceBusDataReceiver | service-bus",
            "developer | KeyVaultCryptoOfficer | key-vault",
            "developer | StorageBlobDataContributor | data",
            "developer | StorageQueueDataContributor | data",
            "endpoint | StorageBlobDataReader | data/registry",
            "endpoint | StorageBlobDataReader | ml-storage",
            "function | AzureMLDataScientist | workspace",
            "function | AzureServiceBusDataSender | service-bus",
            "function | KeyVaultCryptoUser | key-vault",
            "function | ManagedIdentityOperator | endpoint-identity",
            "function | MonitoringMetricsPublisher | app-insights",
            "function | StorageBlobDataContributor | data",
            "function | StorageBlobDataOwner | host (condition)",
            "function | StorageQueueDataContributor | data",
            "function | StorageQueueDataContributor | host",
            "function | StorageTableDataContributor | host",
            "gpu-cluster | StorageBlobDataContributor | data/checkpoints",
            "gpu-cluster | StorageBlobDataContributor | data/models",
            "gpu-cluster | StorageBlobDataReader | data/curated",
            "gpu-cluster | StorageBlobDataReader | data/registry",
            "gpu-cluster | StorageBlobDataReader | ml-storage",
            "ml-topic | StorageQueueDataMessageSender | data/queue drift-alerts",
            "workspace | StorageBlobDataContributor | ml-storage",
            "workspace | StorageFileDataPrivilegedContributor | ml-storage",
        ];

        Assert.Equal(expected, Table(networking == "private" ? fixture.Private : fixture.Public));
    }

    [Fact]
    public void HostAccount_GpuClusterWorkspaceAndOthers_HoldNothingOnIt()
    {
        var onHost = fixture.Public.RoleAssignments.Where(grant => grant.Scope.StartsWith(AccountId("host"), StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(onHost);
        Assert.All(onHost, grant => Assert.Contains(Who(grant), new[] { "function", "deployment" }));
    }

    [Fact]
    public void PackageContainer_OnlyTheDeploymentIdentity_CanWriteIt()
    {
        string host = AccountId("host");
        string package = $"{host}/blobServices/default/containers/app-package";
        var writers = fixture.Public.RoleAssignments
            .Where(grant => WriteRoles.Contains(RoleName(grant)))
            .Where(grant => package.StartsWith(grant.Scope, StringComparison.Ordinal))
            .ToList();

        // Nothing above the account (resource group, subscription) grants a write role at all.
        Assert.All(fixture.Public.RoleAssignments, grant => Assert.Contains("/providers/", grant.Scope, StringComparison.Ordinal));
        Assert.All(writers, grant =>
        {
            if (Who(grant) == "deployment")
            {
                Assert.Equal(package, grant.Scope);
                return;
            }

            // Any other writer on the account must carry the condition that denies writes to the package container.
            Assert.Equal("function", Who(grant));
            Assert.Equal(host, grant.Scope);
            Assert.NotNull(grant.Condition);
            Assert.Contains("StringNotEquals 'app-package'", grant.Condition, StringComparison.Ordinal);
            foreach (string action in new[] { "blobs/write", "blobs/add/action", "blobs/delete" })
            {
                Assert.Contains($"!(ActionMatches{{'Microsoft.Storage/storageAccounts/blobServices/containers/{action}'}})", grant.Condition, StringComparison.Ordinal);
            }
        });
        Assert.Single(writers, grant => Who(grant) == "deployment");
        Assert.Equal("2.0", ConditionVersion("function", host));
    }

    [Fact]
    public void GpuCluster_Storage_WritesOnlyModelsAndCheckpointsAndReadsCurated()
    {
        var gpu = fixture.Public.RoleAssignments.Where(grant => Who(grant) == "gpu-cluster").ToList();
        string data = AccountId("data");

        Assert.All(gpu.Where(grant => WriteRoles.Contains(RoleName(grant))), grant =>
            Assert.Contains(grant.Scope, new[] { $"{data}/blobServices/default/containers/models", $"{data}/blobServices/default/containers/checkpoints" }));
        Assert.DoesNotContain(gpu, grant => grant.Scope == data);
    }

    [Theory]
    [MemberData(nameof(Networking))]
    public void EndpointIdentity_ReadsOnlyTheRegistryContainerAndTheWorkspaceStorage(string networking)
    {
        DeploymentSnapshot snapshot = networking == "private" ? fixture.Private : fixture.Public;
        string registry = $"{AccountId("data")}/blobServices/default/containers/registry";
        var endpoint = snapshot.RoleAssignments.Where(grant => Who(grant) == "endpoint").ToList();

        // Read-only, and only where a deployment reads: the model asset (registry datastore) and the code asset
        // (the workspace's default datastore). Nothing on the workspace, the host account or other containers.
        Assert.All(endpoint, grant => Assert.Equal("StorageBlobDataReader", RoleName(grant)));
        Assert.Equal(new[] { AccountId("ml"), registry }.Order(StringComparer.Ordinal), endpoint.Select(grant => grant.Scope).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RegistryContainer_GpuCluster_MayOnlyReadIt()
    {
        // An evaluation job re-scores the champion from its registered files; training code must never rewrite a
        // registered model: the cluster reads the container and holds nothing on the data account or above.
        string registry = $"{AccountId("data")}/blobServices/default/containers/registry";
        var grants = fixture.Public.RoleAssignments.Concat(fixture.Private.RoleAssignments)
            .Where(grant => Who(grant) == "gpu-cluster" && (registry == grant.Scope || registry.StartsWith(grant.Scope + "/", StringComparison.Ordinal)))
            .ToList();

        Assert.Equal(2, grants.Count); // one per networking variant
        Assert.All(grants, grant => Assert.Equal(registry, grant.Scope));
        Assert.All(grants, grant => Assert.Equal("StorageBlobDataReader", RoleName(grant)));
    }

    [Fact]
    public void FunctionApp_Endpoints_MayCreateThemAndAttachTheEndpointIdentity()
    {
        string endpointIdentity = fixture.Public.Single("Microsoft.ManagedIdentity/userAssignedIdentities", "id-endpoint-")["id"]!.GetValue<string>();
        string workspace = fixture.Public.Single("Microsoft.MachineLearningServices/workspaces")["id"]!.GetValue<string>();
        var app = fixture.Public.RoleAssignments.Where(grant => Who(grant) == "function").ToList();

        // Attaching a user-assigned identity to a resource needs its assign action: Managed Identity Operator on that
        // identity alone. Creating, updating and deleting endpoints and deployments, listKeys and getLogs: AzureML Data
        // Scientist on the workspace.
        Assert.Single(app, grant => grant.Scope == endpointIdentity && RoleName(grant) == "ManagedIdentityOperator");
        Assert.Single(app, grant => grant.Scope == workspace && RoleName(grant) == "AzureMLDataScientist");
        Assert.DoesNotContain(fixture.Public.RoleAssignments, grant => grant.Scope == endpointIdentity && Who(grant) != "function");
    }

    [Theory]
    [MemberData(nameof(Networking))]
    public void GpuIdentity_NoOneMayAttachIt(string networking)
    {
        DeploymentSnapshot snapshot = networking == "private" ? fixture.Private : fixture.Public;
        string gpuIdentity = snapshot.Single("Microsoft.ManagedIdentity/userAssignedIdentities", "id-gpu-")["id"]!.GetValue<string>();

        // The template attaches the GPU identity to its clusters and jobs run as their compute's identity (identityType
        // Managed): the app creates no compute and assigns no identity to one, so it holds no role on it, and whoever
        // could submit arbitrary code cannot lend the cluster's data access to a compute of their own through the app.
        Assert.DoesNotContain(snapshot.RoleAssignments, grant => grant.Scope == gpuIdentity);
    }

    [Fact]
    public void RoleAssignments_Names_AreGuidOfTheirScopePrincipalAndRole()
    {
        Assert.All(fixture.Public.RoleAssignments, grant =>
        {
            if (grant.Name.StartsWith('['))
            {
                Assert.StartsWith($"[guid('{grant.Scope}', ", grant.Name, StringComparison.Ordinal);
                Assert.EndsWith($", '{grant.RoleDefinitionId}')]", grant.Name, StringComparison.Ordinal);
            }
            else
            {
                // Every part known before deployment (the developer's grants): ARM's guid() already evaluated.
                Assert.True(Guid.TryParse(grant.Name, out _), grant.Name);
            }
        });
    }

    private List<string> Table(DeploymentSnapshot snapshot) =>
        snapshot.RoleAssignments
            .Select(grant => $"{Who(grant)} | {RoleName(grant)} | {Where(grant)}{(grant.Condition is null ? string.Empty : " (condition)")}")
            .Order(StringComparer.Ordinal)
            .ToList();

    private string RoleName(RoleGrant grant)
    {
        JsonObject roles = fixture.Template.Module("rbac").Variable("roleDefinitionIds")!.AsObject();
        return roles.Single(pair => pair.Value!.GetValue<string>() == grant.RoleDefinitionId).Key;
    }

    private static string Who(RoleGrant grant) => grant.Principal switch
    {
        MainTemplateFixture.DeveloperPrincipalId => "developer",
        var p when p.StartsWith("id-func-", StringComparison.Ordinal) => "function",
        var p when p.StartsWith("id-deploy-", StringComparison.Ordinal) => "deployment",
        var p when p.StartsWith("id-gpu-", StringComparison.Ordinal) => "gpu-cluster",
        var p when p.StartsWith("id-endpoint-", StringComparison.Ordinal) => "endpoint",
        var p when p.StartsWith("mlw-", StringComparison.Ordinal) => "workspace",
        var p when p.StartsWith("evgt-data-", StringComparison.Ordinal) => "data-topic",
        var p when p.StartsWith("evgt-ml-", StringComparison.Ordinal) => "ml-topic",
        var p => p,
    };

    private string Where(RoleGrant grant)
    {
        foreach (string role in new[] { "host", "data", "ml" })
        {
            string account = AccountId(role);
            string label = role == "ml" ? "ml-storage" : role;
            if (grant.Scope == account)
            {
                return label;
            }

            if (grant.Scope.StartsWith(account + "/", StringComparison.Ordinal))
            {
                return grant.ScopeType.EndsWith("/queues", StringComparison.Ordinal) ? $"{label}/queue {grant.ScopeName}" : $"{label}/{grant.ScopeName}";
            }
        }

        return grant.ScopeType switch
        {
            "Microsoft.KeyVault/vaults" => "key-vault",
            "Microsoft.ServiceBus/namespaces" => "service-bus",
            "Microsoft.MachineLearningServices/workspaces" => "workspace",
            "Microsoft.Insights/components" => "app-insights",
            "Microsoft.ManagedIdentity/userAssignedIdentities" when grant.ScopeName.StartsWith("id-gpu-", StringComparison.Ordinal) => "gpu-identity",
            "Microsoft.ManagedIdentity/userAssignedIdentities" when grant.ScopeName.StartsWith("id-endpoint-", StringComparison.Ordinal) => "endpoint-identity",
            _ => grant.Scope,
        };
    }

    private string AccountId(string role) =>
        fixture.Public.Single("Microsoft.Storage/storageAccounts", $"st{role}")["id"]!.GetValue<string>();

    private string? ConditionVersion(string who, string scope) =>
        fixture.Public.OfType("Microsoft.Authorization/roleAssignments")
            .Where(resource => RoleGrant.From(resource) is var grant && Who(grant) == who && grant.Scope == scope && grant.Condition is not null)
            .Select(resource => resource["properties"]!["conditionVersion"]?.GetValue<string>())
            .Single();
}
