using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>Assertions on the ARM JSON that <c>bicep build bicep/main.bicep</c> compiles to.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class MainTemplateTests(MainTemplateFixture fixture)
{
    private ArmTemplate Template => fixture.Template;

    [Fact]
    public void Parameters_EveryTemplate_DescribedAsRequiredOrOptional()
    {
        var parameters = Template.SelfAndModules()
            .SelectMany(template => template.Parameters.Select(pair => (Where: $"{template.ModuleName ?? "main"}.{pair.Key}", Parameter: pair.Value)))
            .ToList();

        Assert.NotEmpty(parameters);
        Assert.All(parameters, entry =>
        {
            var description = entry.Parameter["metadata"]?["description"]?.GetValue<string>() ?? string.Empty;
            Assert.True(
                description.StartsWith("Required. ", StringComparison.Ordinal) || description.StartsWith("Optional. ", StringComparison.Ordinal),
                $"Parameter {entry.Where} has description '{description}'.");
        });
    }

    [Fact]
    public void Parameters_DescribedAsRequired_HaveNoDefault()
    {
        var mismatched = Template.SelfAndModules()
            .SelectMany(template => template.Parameters.Select(pair => (Where: $"{template.ModuleName ?? "main"}.{pair.Key}", Parameter: pair.Value)))
            .Where(entry => entry.Parameter["metadata"]!["description"]!.GetValue<string>().StartsWith("Required.", StringComparison.Ordinal)
                == entry.Parameter.ContainsKey("defaultValue"))
            .Select(entry => entry.Where);

        Assert.Empty(mismatched);
    }

    [Fact]
    public void Names_ResourceToken_DerivesFromSubscriptionResourceGroupAndEnvironment()
    {
        var token = Template.Variable("resourceToken")!.GetValue<string>();

        Assert.Contains("uniqueString(subscription().id, resourceGroup().id, parameters('environmentName'))", token, StringComparison.Ordinal);
    }

    [Fact]
    public void StorageAccounts_Security_DisallowSharedKeyAndPublicBlobAccess()
    {
        IReadOnlyList<JsonObject> accounts = fixture.Public.OfType("Microsoft.Storage/storageAccounts");

        Assert.Equal(3, accounts.Count);
        Assert.All(accounts, account =>
        {
            JsonNode properties = account["properties"]!;
            Assert.False(properties["allowSharedKeyAccess"]!.GetValue<bool>());
            Assert.False(properties["allowBlobPublicAccess"]!.GetValue<bool>());
            Assert.Equal("TLS1_2", properties["minimumTlsVersion"]!.GetValue<string>());
            Assert.True(properties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        });
    }

    [Fact]
    public void StorageAccounts_Split_HostHoldsThePackageDataHoldsThePipeline()
    {
        string host = Account("host");
        string data = Account("data");
        string ml = Account("ml");

        Assert.Equal(["app-package"], ContainersOf(host));
        Assert.Equal(
            ["audit", "checkpoints", "curated", "endpoints", "eventgrid-deadletter", "incoming", "models", "quarantine", "registry"],
            ContainersOf(data));
        Assert.Empty(ContainersOf(ml));
        Assert.Equal(["drift-alerts", "pipeline-events"], QueuesOf(data));
        Assert.Empty(QueuesOf(host));
        Assert.All(
            fixture.Public.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"),
            container => Assert.Equal("None", container["properties"]!["publicAccess"]!.GetValue<string>()));
    }

    [Fact]
    public void StorageAccounts_DataContainers_CoverEveryContainerAndQueueTheCodeUses()
    {
        string data = Account("data");
        var defaults = new GenAiServerless.Platform.AzureMl.AzureMlOptions();
        string[] used =
        [
            GenAiServerless.Platform.PipelineStorage.Incoming, GenAiServerless.Platform.PipelineStorage.Curated,
            GenAiServerless.Platform.PipelineStorage.Quarantine, GenAiServerless.Platform.PipelineStorage.Models,
            GenAiServerless.Platform.PipelineStorage.Registry, GenAiServerless.Platform.PipelineStorage.Endpoints,
            defaults.CheckpointsDatastore, "audit",
        ];

        Assert.All(used, name => Assert.Contains(name, ContainersOf(data)));
        Assert.Contains(GenAiServerless.Platform.PipelineStorage.DriftAlertsQueue, QueuesOf(data));
        Assert.Contains(GenAiServerless.Platform.PipelineStorage.EventsQueue, QueuesOf(data));
    }

    [Fact]
    public void MlDatastores_IdentityBased_PointAtTheDataContainersTheJobsAndModelAssetsUse()
    {
        var defaults = new GenAiServerless.Platform.AzureMl.AzureMlOptions();
        var datastores = fixture.Public.OfType("Microsoft.MachineLearningServices/workspaces/datastores")
            .ToDictionary(d => d["name"]!.GetValue<string>()[(d["name"]!.GetValue<string>().IndexOf('/', StringComparison.Ordinal) + 1)..], d => d["properties"]!);

        Assert.Equal(
            new[] { defaults.CheckpointsDatastore, defaults.CuratedDatastore, defaults.ModelsDatastore, defaults.RegistryDatastore }.Order(),
            datastores.Keys.Order());
        Assert.All(datastores, pair =>
        {
            Assert.Equal("AzureBlob", pair.Value["datastoreType"]!.GetValue<string>());
            Assert.Equal(Account("data"), pair.Value["accountName"]!.GetValue<string>());
            Assert.Equal(pair.Key, pair.Value["containerName"]!.GetValue<string>());
            Assert.Equal("None", pair.Value["credentials"]!["credentialsType"]!.GetValue<string>());
        });
    }

    [Fact]
    public void FunctionApp_Runtime_IsFlexConsumptionDotnetIsolated10()
    {
        var plan = Template.SingleResource("Microsoft.Web/serverfarms");
        var site = Template.SingleResource("Microsoft.Web/sites");
        var runtime = site["properties"]!["functionAppConfig"]!["runtime"]!;

        Assert.Equal("FlexConsumption", plan["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("functionapp,linux", site["kind"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", runtime["name"]!.GetValue<string>());
        Assert.Equal("10.0", runtime["version"]!.GetValue<string>());
        Assert.Equal("UserAssigned", site["identity"]!["type"]!.GetValue<string>());
        Assert.True(site["properties"]!["httpsOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void FunctionApp_Deployment_PackageOnHostAccountWrittenByTheDeploymentIdentity()
    {
        JsonNode site = fixture.Public.Single("Microsoft.Web/sites");
        JsonNode storage = site["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!;
        string deploymentIdentity = fixture.Public.Single("Microsoft.ManagedIdentity/userAssignedIdentities", "id-deploy-")["id"]!.GetValue<string>();

        Assert.Equal($"https://{Account("host")}.blob.core.windows.net/app-package", DeployedValue.Resolve("deployment", storage["value"]!.GetValue<string>()));
        Assert.Equal("UserAssignedIdentity", storage["authentication"]!["type"]!.GetValue<string>());
        Assert.Equal(deploymentIdentity, storage["authentication"]!["userAssignedIdentityResourceId"]!.GetValue<string>());
    }

    [Fact]
    public void KeyVault_Protection_UsesRbacSoftDeleteAndPurgeProtection()
    {
        var properties = Template.SingleResource("Microsoft.KeyVault/vaults")["properties"]!;

        Assert.True(properties["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(properties["enableSoftDelete"]!.GetValue<bool>());
        Assert.True(properties["enablePurgeProtection"]!.GetValue<bool>());
    }

    [Fact]
    public void KeyVault_SigningKey_IsRsa3072()
    {
        var keyVault = Template.Module("keyvault");
        var properties = Template.SingleResource("Microsoft.KeyVault/vaults/keys")["properties"]!;
        var sizeFromMain = Template.ModuleDeployment("keyvault")["properties"]!["parameters"]!["signingKeySize"]!["value"]!.GetValue<int>();

        Assert.Equal("RSA", properties["kty"]!.GetValue<string>());
        Assert.Equal("[parameters('signingKeySize')]", properties["keySize"]!.GetValue<string>());
        Assert.Equal(3072, keyVault.Parameters["signingKeySize"]["defaultValue"]!.GetValue<int>());
        Assert.Equal(3072, sizeFromMain);
    }

    [Fact]
    public void ServiceBus_Topic_IsModelLifecycleWithLocalAuthDisabled()
    {
        var topicName = Template.ModuleDeployment("servicebus")["properties"]!["parameters"]!["topicName"]!["value"]!.GetValue<string>();
        var namespaceProperties = Template.SingleResource("Microsoft.ServiceBus/namespaces")["properties"]!;

        Assert.Equal("[variables('lifecycleTopicName')]", topicName);
        Assert.Equal("model-lifecycle", Template.Variable("lifecycleTopicName")!.GetValue<string>());
        Assert.Single(Template.ResourcesOfType("Microsoft.ServiceBus/namespaces/topics"));
        Assert.True(namespaceProperties["disableLocalAuth"]!.GetValue<bool>());
    }

    [Fact]
    public void MlWorkspace_Dependencies_WiresStorageKeyVaultAndAppInsightsWithSystemIdentity()
    {
        var workspace = Template.SingleResource("Microsoft.MachineLearningServices/workspaces");
        var properties = workspace["properties"]!;

        Assert.Equal("SystemAssigned", workspace["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("[parameters('storageAccountId')]", properties["storageAccount"]!.GetValue<string>());
        Assert.Equal("[parameters('keyVaultId')]", properties["keyVault"]!.GetValue<string>());
        Assert.Equal("[parameters('applicationInsightsId')]", properties["applicationInsights"]!.GetValue<string>());
    }

    [Fact]
    public void GpuClusters_LowPriorityAndDedicated_SameVmBothScaleToZero()
    {
        string gpuIdentity = fixture.Public.Single("Microsoft.ManagedIdentity/userAssignedIdentities", "id-gpu-")["id"]!.GetValue<string>();
        var clusters = fixture.Public.OfType("Microsoft.MachineLearningServices/workspaces/computes")
            .ToDictionary(c => c["properties"]!["properties"]!["vmPriority"]!.GetValue<string>(), c => c);

        Assert.Equal(["Dedicated", "LowPriority"], clusters.Keys.Order(StringComparer.Ordinal));
        Assert.All(clusters.Values, c =>
        {
            JsonNode compute = c["properties"]!;
            Assert.Equal("AmlCompute", compute["computeType"]!.GetValue<string>());
            Assert.Equal("Standard_NC24ads_A100_v4", compute["properties"]!["vmSize"]!.GetValue<string>());
            Assert.Equal(0, compute["properties"]!["scaleSettings"]!["minNodeCount"]!.GetValue<int>());
            Assert.Equal([gpuIdentity], c["identity"]!["userAssignedIdentities"]!.AsObject().Select(pair => pair.Key));
        });
        Assert.Equal(2, clusters["LowPriority"]["properties"]!["properties"]!["scaleSettings"]!["maxNodeCount"]!.GetValue<int>());
        Assert.Equal(1, clusters["Dedicated"]["properties"]!["properties"]!["scaleSettings"]!["maxNodeCount"]!.GetValue<int>());
        Assert.Equal("Standard_NC24ads_A100_v4", Template.Parameters["gpuVmSize"]["defaultValue"]!.GetValue<string>());
    }

    [Fact]
    public void RoleAssignments_Names_AreGuidOfScopePrincipalAndRole()
    {
        var assignments = Template.ResourcesOfType("Microsoft.Authorization/roleAssignments");

        Assert.NotEmpty(assignments);
        Assert.All(assignments, pair =>
        {
            Assert.Equal("rbac", pair.Template.ModuleName);
            var name = pair.Resource["name"]!.GetValue<string>();
            Assert.StartsWith("[guid(", name, StringComparison.Ordinal);
            Assert.Contains(".principalId", name, StringComparison.Ordinal);
            Assert.Contains("variables('roleDefinitionIds')", name, StringComparison.Ordinal);
            Assert.Contains("variables('roleDefinitionIds')", pair.Resource["properties"]!["roleDefinitionId"]!.GetValue<string>(), StringComparison.Ordinal);
        });
    }

    [Fact]
    public void RoleAssignments_RoleMap_HoldsTheRolesThePipelineNeeds()
    {
        var roles = Template.Module("rbac").Variable("roleDefinitionIds")!.AsObject();

        Assert.Equal("b7e6dc6d-f1e8-4753-8033-0f276bb0955b", roles["StorageBlobDataOwner"]!.GetValue<string>());
        Assert.Equal("974c5e8b-45b9-4653-ba55-5f855dd0fb88", roles["StorageQueueDataContributor"]!.GetValue<string>());
        Assert.Equal("0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", roles["StorageTableDataContributor"]!.GetValue<string>());
        Assert.Equal("12338af0-0e69-4776-bea7-57ae8d297424", roles["KeyVaultCryptoUser"]!.GetValue<string>());
        Assert.Equal("69a216fc-b8fb-44d8-bc22-1f3c2cd27a39", roles["AzureServiceBusDataSender"]!.GetValue<string>());
        Assert.Equal("f6c7c914-8db3-469d-8ca1-694a8f32e121", roles["AzureMLDataScientist"]!.GetValue<string>());
        Assert.Equal("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", roles["StorageBlobDataReader"]!.GetValue<string>());
        Assert.Equal("f1a07417-d97a-45cb-824c-7a7467783830", roles["ManagedIdentityOperator"]!.GetValue<string>());
    }

    [Fact]
    public void Template_Network_HasNoOpenAllowList()
    {
        var json = Template.Json.ToJsonString();

        Assert.DoesNotContain("0.0.0.0", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"ipRules\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_Main_ExposeWhatTheAppAndTheHooksNeed()
    {
        string[] expected =
        [
            "AZURE_LOCATION", "AZURE_RESOURCE_GROUP", "AZURE_CLIENT_ID", "AZURE_FUNCTION_APP_NAME", "AZURE_FUNCTION_APP_URL",
            "AZURE_STORAGE_HOST_ACCOUNT", "AZURE_STORAGE_DATA_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT", "AZURE_STORAGE_QUEUE_ENDPOINT",
            "AZURE_EVENTGRID_DATA_TOPIC", "AZURE_KEY_VAULT_URI", "AZURE_KEY_VAULT_SIGNING_KEY_NAME", "AZURE_SERVICE_BUS_NAMESPACE",
            "AZURE_SERVICE_BUS_TOPIC", "AZURE_ML_WORKSPACE_NAME", "AZURE_ML_GPU_CLUSTER_NAME", "AZURE_PRIVATE_NETWORKING",
        ];

        Assert.All(expected, name => Assert.True(Template.Outputs.ContainsKey(name), $"Output {name} is missing."));
    }

    private string Account(string role) =>
        fixture.Public.Single("Microsoft.Storage/storageAccounts", $"st{role}")["name"]!.GetValue<string>();

    private List<string> ContainersOf(string account) =>
        fixture.Public.OfType("Microsoft.Storage/storageAccounts/blobServices/containers")
            .Select(c => c["name"]!.GetValue<string>())
            .Where(name => name.StartsWith($"{account}/default/", StringComparison.Ordinal))
            .Select(name => name[(name.LastIndexOf('/') + 1)..])
            .Order(StringComparer.Ordinal)
            .ToList();

    private List<string> QueuesOf(string account) =>
        fixture.Public.OfType("Microsoft.Storage/storageAccounts/queueServices/queues")
            .Select(q => q["name"]!.GetValue<string>())
            .Where(name => name.StartsWith($"{account}/default/", StringComparison.Ordinal))
            .Select(name => name[(name.LastIndexOf('/') + 1)..])
            .Order(StringComparer.Ordinal)
            .ToList();
}
