using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>What an operator gets: logs in Log Analytics, alerts on failed runs and rollbacks, a budget.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class OperationsTests(MainTemplateFixture fixture)
{
    [Fact]
    public void DiagnosticSettings_EveryWorkingResource_SendsToLogAnalytics()
    {
        string workspace = fixture.Public.Single("Microsoft.OperationalInsights/workspaces")["id"]!.GetValue<string>();
        var settings = fixture.Public.OfType("Microsoft.Insights/diagnosticSettings").ToList();
        var scopes = settings.Select(s => Scope(s["id"]!.GetValue<string>())).ToHashSet();
        var expected = new List<string>();
        foreach (JsonObject account in fixture.Public.OfType("Microsoft.Storage/storageAccounts"))
        {
            string id = account["id"]!.GetValue<string>();
            expected.AddRange([id, $"{id}/blobServices/default", $"{id}/queueServices/default"]);
        }

        expected.Add($"{fixture.Public.Single("Microsoft.Storage/storageAccounts", "sthost")["id"]!.GetValue<string>()}/tableServices/default");
        foreach (string type in new[] { "Microsoft.KeyVault/vaults", "Microsoft.ServiceBus/namespaces", "Microsoft.Web/sites", "Microsoft.MachineLearningServices/workspaces" })
        {
            expected.Add(fixture.Public.Single(type)["id"]!.GetValue<string>());
        }

        expected.AddRange(fixture.Public.OfType("Microsoft.EventGrid/systemTopics").Select(t => t["id"]!.GetValue<string>()));

        Assert.Equal(expected.Order(StringComparer.Ordinal), scopes.Order(StringComparer.Ordinal));
        Assert.All(settings, s => Assert.Equal(workspace, s["properties"]!["workspaceId"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("pipeline-failed", "Pipeline run failed", 1)]
    [InlineData("rollout-rolled-back", "Rollout rolled back", 2)]
    public void Alerts_LogSearch_MatchTheWorkerMessageAndNotifyTheActionGroup(string rule, string message, int severity)
    {
        JsonObject alert = Assert.Single(fixture.Public.OfType("Microsoft.Insights/scheduledQueryRules"), a => a["name"]!.GetValue<string>().EndsWith(rule, StringComparison.Ordinal));
        JsonNode properties = alert["properties"]!;
        JsonNode criterion = properties["criteria"]!["allOf"]![0]!;

        Assert.Equal($"traces | where message startswith \"{message}\"", criterion["query"]!.GetValue<string>());
        Assert.Equal("GreaterThan", criterion["operator"]!.GetValue<string>());
        Assert.Equal(0, criterion["threshold"]!.GetValue<int>());
        Assert.Equal(severity, properties["severity"]!.GetValue<int>());
        Assert.Equal([fixture.Public.Single("Microsoft.Insights/components")["id"]!.GetValue<string>()], properties["scopes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal([ActionGroupId()], properties["actions"]!["actionGroups"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void ActionGroup_Email_OptionalAndEmptyByDefault()
    {
        Assert.Equal(string.Empty, fixture.Template.Parameters["alertEmail"]["defaultValue"]!.GetValue<string>());
        Assert.Empty(fixture.Public.Single("Microsoft.Insights/actionGroups")["properties"]!["emailReceivers"]!.AsArray());
    }

    [Fact]
    public void Budget_ResourceGroup_WarnsAt80PercentActualAnd100PercentForecast()
    {
        JsonObject budget = fixture.Public.Single("Microsoft.Consumption/budgets");
        JsonNode properties = budget["properties"]!;
        JsonObject notifications = properties["notifications"]!.AsObject();

        Assert.StartsWith($"/subscriptions/{MainTemplateFixture.SubscriptionId}/resourceGroups/{MainTemplateFixture.ResourceGroup}/providers/Microsoft.Consumption/budgets/", budget["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Cost", properties["category"]!.GetValue<string>());
        Assert.Equal("Monthly", properties["timeGrain"]!.GetValue<string>());
        Assert.Equal(fixture.Template.Parameters["budgetAmount"]["defaultValue"]!.GetValue<int>(), properties["amount"]!.GetValue<int>());
        Assert.Equal("2026-01-01", properties["timePeriod"]!["startDate"]!.GetValue<string>());
        Assert.Equal(
            ["Actual 80", "Forecasted 100"],
            notifications.Select(n => $"{n.Value!["thresholdType"]!.GetValue<string>()} {n.Value!["threshold"]!.GetValue<int>()}").Order());
        Assert.All(notifications, n =>
        {
            Assert.True(n.Value!["enabled"]!.GetValue<bool>());
            Assert.Equal([ActionGroupId()], n.Value!["contactGroups"]!.AsArray().Select(g => g!.GetValue<string>()));
            Assert.Equal(["Owner"], n.Value!["contactRoles"]!.AsArray().Select(g => g!.GetValue<string>()));
        });
    }

    private string ActionGroupId() => fixture.Public.Single("Microsoft.Insights/actionGroups")["id"]!.GetValue<string>();

    private static string Scope(string settingId) =>
        settingId[..settingId.LastIndexOf("/providers/Microsoft.Insights/diagnosticSettings/", StringComparison.Ordinal)];
}
