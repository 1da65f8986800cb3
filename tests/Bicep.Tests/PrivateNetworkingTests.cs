using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>The one switch, <c>privateNetworking</c>, on the deployment as predicted both ways.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class PrivateNetworkingTests(MainTemplateFixture fixture)
{
    [Fact]
    public void Off_ByDefault()
    {
        Assert.False(fixture.Template.Parameters["privateNetworking"]["defaultValue"]!.GetValue<bool>());
    }

    [Fact]
    public void Off_NoNetworkResourcesAndPublicEndpoints()
    {
        DeploymentSnapshot snapshot = fixture.Public;

        Assert.DoesNotContain(snapshot.Resources, r => r["type"]!.GetValue<string>().StartsWith("Microsoft.Network/", StringComparison.Ordinal));
        Assert.Null(snapshot.Single("Microsoft.Web/sites")["properties"]!["virtualNetworkSubnetId"]);
        Assert.All(snapshot.OfType("Microsoft.Storage/storageAccounts"), account => Assert.Equal("Enabled", account["properties"]!["publicNetworkAccess"]!.GetValue<string>()));
        Assert.Equal("Standard", snapshot.Single("Microsoft.ServiceBus/namespaces")["sku"]!["name"]!.GetValue<string>());
        JsonNode workspace = snapshot.Single("Microsoft.MachineLearningServices/workspaces")["properties"]!;
        Assert.Equal("Enabled", workspace["publicNetworkAccess"]!.GetValue<string>());
        Assert.Equal("Disabled", workspace["managedNetwork"]!["isolationMode"]!.GetValue<string>());
    }

    [Fact]
    public void On_FunctionAppIntegratesWithADelegatedSubnet()
    {
        JsonObject vnet = fixture.Private.Single("Microsoft.Network/virtualNetworks");
        JsonNode functionsSubnet = vnet["properties"]!["subnets"]!.AsArray().Single(s => s!["name"]!.GetValue<string>() == "functions")!;

        Assert.Equal("Microsoft.App/environments", functionsSubnet["properties"]!["delegations"]![0]!["properties"]!["serviceName"]!.GetValue<string>());
        Assert.Equal(
            $"{vnet["id"]!.GetValue<string>()}/subnets/functions",
            fixture.Private.Single("Microsoft.Web/sites")["properties"]!["virtualNetworkSubnetId"]!.GetValue<string>());
    }

    [Fact]
    public void On_PrivateEndpoints_CoverStorageKeyVaultServiceBusAndTheWorkspace()
    {
        var endpoints = fixture.Private.OfType("Microsoft.Network/privateEndpoints")
            .Select(pe => pe["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!)
            .Select(c => $"{Name(c["privateLinkServiceId"]!.GetValue<string>())}:{c["groupIds"]![0]!.GetValue<string>()}")
            .Order(StringComparer.Ordinal)
            .ToList();

        string[] expected =
        [
            $"{Name(Account("data"))}:blob", $"{Name(Account("data"))}:queue",
            $"{Name(Account("host"))}:blob", $"{Name(Account("host"))}:queue", $"{Name(Account("host"))}:table",
            $"{Name(Account("ml"))}:blob", $"{Name(Account("ml"))}:file",
            $"{Name(Id("Microsoft.KeyVault/vaults"))}:vault",
            $"{Name(Id("Microsoft.MachineLearningServices/workspaces"))}:amlworkspace",
            $"{Name(Id("Microsoft.ServiceBus/namespaces"))}:namespace",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), endpoints);
    }

    [Fact]
    public void On_EveryEndpoint_RegistersInALinkedZoneOfTheRightName()
    {
        string vnet = fixture.Private.Single("Microsoft.Network/virtualNetworks")["id"]!.GetValue<string>();
        var zones = fixture.Private.OfType("Microsoft.Network/privateDnsZones").Select(z => Resolve(z["name"]!)).ToHashSet();
        var linked = fixture.Private.OfType("Microsoft.Network/privateDnsZones/virtualNetworkLinks")
            .Where(link => link["properties"]!["virtualNetwork"]!["id"]!.GetValue<string>() == vnet)
            .Select(link => Resolve(link["name"]!).Split('/')[0])
            .ToHashSet();
        var expectedZone = new Dictionary<string, string[]>
        {
            ["blob"] = ["privatelink.blob.core.windows.net"],
            ["queue"] = ["privatelink.queue.core.windows.net"],
            ["table"] = ["privatelink.table.core.windows.net"],
            ["file"] = ["privatelink.file.core.windows.net"],
            ["vault"] = ["privatelink.vaultcore.azure.net"],
            ["namespace"] = ["privatelink.servicebus.windows.net"],
            ["amlworkspace"] = ["privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"],
        };

        Assert.Equal(zones, linked);
        foreach (JsonObject endpoint in fixture.Private.OfType("Microsoft.Network/privateEndpoints"))
        {
            string group = endpoint["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!["groupIds"]![0]!.GetValue<string>();
            JsonObject zoneGroup = Assert.Single(
                fixture.Private.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups"),
                g => g["name"]!.GetValue<string>() == $"{endpoint["name"]!.GetValue<string>()}/default");
            var registered = zoneGroup["properties"]!["privateDnsZoneConfigs"]!.AsArray()
                .Select(c => Name(Resolve(c!["properties"]!["privateDnsZoneId"]!)))
                .ToList();
            Assert.Equal(expectedZone[group], registered);
            Assert.All(registered, zone => Assert.Contains(zone, zones));
        }
    }

    [Fact]
    public void On_PublicAccess_OffEverywhereItApplies()
    {
        DeploymentSnapshot snapshot = fixture.Private;

        Assert.Equal("Disabled", Properties(snapshot, Account("host"))["publicNetworkAccess"]!.GetValue<string>());
        Assert.Equal("Disabled", Properties(snapshot, Account("ml"))["publicNetworkAccess"]!.GetValue<string>());
        // The data account closes its firewall instead (no IP or VNet rules): Event Grid delivers drift events and
        // dead letters to it as a trusted Azure service with its identity, which publicNetworkAccess Disabled blocks.
        JsonNode data = Properties(snapshot, Account("data"));
        Assert.Equal("Deny", data["networkAcls"]!["defaultAction"]!.GetValue<string>());
        Assert.Equal("AzureServices", data["networkAcls"]!["bypass"]!.GetValue<string>());
        Assert.Null(data["networkAcls"]!["ipRules"]);
        Assert.Null(data["networkAcls"]!["virtualNetworkRules"]);
        Assert.All(snapshot.OfType("Microsoft.Storage/storageAccounts"), a => Assert.Equal("Deny", a["properties"]!["networkAcls"]!["defaultAction"]!.GetValue<string>()));
        JsonNode vault = snapshot.Single("Microsoft.KeyVault/vaults")["properties"]!;
        Assert.Equal("Disabled", vault["publicNetworkAccess"]!.GetValue<string>());
        Assert.Equal("Deny", vault["networkAcls"]!["defaultAction"]!.GetValue<string>());
        JsonObject serviceBus = snapshot.Single("Microsoft.ServiceBus/namespaces");
        Assert.Equal("Premium", serviceBus["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("Disabled", serviceBus["properties"]!["publicNetworkAccess"]!.GetValue<string>());
    }

    [Fact]
    public void On_Workspace_IsPrivateWithAManagedNetworkThatReachesTheDataAccount()
    {
        JsonNode workspace = fixture.Private.Single("Microsoft.MachineLearningServices/workspaces")["properties"]!;
        JsonNode rule = workspace["managedNetwork"]!["outboundRules"]!["data-blob"]!;
        var clusters = fixture.Private.OfType("Microsoft.MachineLearningServices/workspaces/computes");

        Assert.Equal("Disabled", workspace["publicNetworkAccess"]!.GetValue<string>());
        Assert.Equal("AllowInternetOutbound", workspace["managedNetwork"]!["isolationMode"]!.GetValue<string>());
        Assert.Equal("PrivateEndpoint", rule["type"]!.GetValue<string>());
        Assert.Equal(Account("data"), rule["destination"]!["serviceResourceId"]!.GetValue<string>());
        Assert.Equal("blob", rule["destination"]!["subresourceTarget"]!.GetValue<string>());
        Assert.Equal(2, clusters.Count);
        Assert.All(clusters, cluster => Assert.False(cluster["properties"]!["properties"]!["enableNodePublicIp"]!.GetValue<bool>()));
    }

    [Theory]
    [InlineData(false, "Enabled")]
    [InlineData(true, "Disabled")]
    public void AppSettings_OnlineEndpoints_FollowTheSwitch(bool privateNetworking, string expected)
    {
        IReadOnlyDictionary<string, string> settings = (privateNetworking ? fixture.Private : fixture.Public).AppSettings;

        // Scoring only through the workspace's private endpoint when on. Deployment egress is left to the managed
        // network's outbound rules (Azure ML documents the per-deployment flag as not to be set with one).
        Assert.Equal(expected, settings["AzureMl__EndpointPublicNetworkAccess"]);
        Assert.False(settings.ContainsKey("AzureMl__DeploymentEgress"));
    }

    private string Account(string role) =>
        fixture.Private.Single("Microsoft.Storage/storageAccounts", $"st{role}")["id"]!.GetValue<string>();

    private string Id(string type) => fixture.Private.Single(type)["id"]!.GetValue<string>();

    private static JsonNode Properties(DeploymentSnapshot snapshot, string id) =>
        snapshot.OfType("Microsoft.Storage/storageAccounts").Single(a => a["id"]!.GetValue<string>() == id)["properties"]!;

    private static string Name(string id) => id[(id.LastIndexOf('/') + 1)..];

    private static string Resolve(JsonNode value) => DeployedValue.Resolve("private DNS", value.GetValue<string>());
}
