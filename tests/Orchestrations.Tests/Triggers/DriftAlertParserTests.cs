using System.Text.Json.Nodes;
using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Orchestrations.Triggers;

public class DriftAlertParserTests
{
    /// <summary>An action-group webhook in the common alert schema (Azure Monitor's documented payload).</summary>
    private static JsonObject Payload(string condition = "Fired") => new()
    {
        ["schemaId"] = "azureMonitorCommonAlertSchema",
        ["data"] = new JsonObject
        {
            ["essentials"] = new JsonObject
            {
                ["alertId"] = "/subscriptions/0000/providers/Microsoft.AlertsManagement/alerts/1111-2222",
                ["alertRule"] = "shop-drift",
                ["severity"] = "Sev2",
                ["signalType"] = "Metric",
                ["monitorCondition"] = condition,
                ["monitoringService"] = "Platform",
                ["alertTargetIDs"] = new JsonArray("/subscriptions/0000/resourcegroups/rg/providers/microsoft.machinelearningservices/workspaces/ws"),
                ["configurationItems"] = new JsonArray("ws"),
                ["originAlertId"] = "origin-1",
                ["firedDateTime"] = "2025-06-01T10:00:00.000Z",
                ["description"] = "feature drift above threshold",
                ["essentialsVersion"] = "1.0",
                ["alertContextVersion"] = "1.0",
            },
            ["alertContext"] = new JsonObject
            {
                ["conditionType"] = "SingleResourceMultipleMetricCriteria",
                ["condition"] = new JsonObject
                {
                    ["windowSize"] = "PT15M",
                    ["allOf"] = new JsonArray(new JsonObject
                    {
                        ["metricName"] = "DriftCoefficient",
                        ["operator"] = "GreaterThan",
                        ["threshold"] = "0.3",
                        ["timeAggregation"] = "Maximum",
                        ["metricValue"] = 0.42,
                    }),
                },
            },
            ["customProperties"] = new JsonObject { ["model"] = "shop" },
        },
    };

    private static (DriftAlert? Alert, string Error) Parse(JsonNode payload) => Parse(payload.ToJsonString());

    private static (DriftAlert? Alert, string Error) Parse(string payload)
    {
        DriftAlert? alert = DriftAlertParser.TryParse(payload, out string error);
        return (alert, error);
    }

    [Fact]
    public void TryParse_FiredCommonAlert_ReturnsModelAndAlert()
    {
        (DriftAlert? alert, string error) = Parse(Payload());

        Assert.Equal(string.Empty, error);
        Assert.Equal(
            new DriftAlert("shop", "/subscriptions/0000/providers/Microsoft.AlertsManagement/alerts/1111-2222", true, "shop-drift", "Sev2"),
            alert);
    }

    [Fact]
    public void TryParse_Resolved_ReturnsNotFired()
    {
        (DriftAlert? alert, _) = Parse(Payload("Resolved"));

        Assert.NotNull(alert);
        Assert.False(alert.Fired);
    }

    [Fact]
    public void TryParse_MissingAlertId_ReturnsNullNamingField()
    {
        JsonObject payload = Payload();
        payload["data"]!["essentials"]!.AsObject().Remove("alertId");

        (DriftAlert? alert, string error) = Parse(payload);

        Assert.Null(alert);
        Assert.Contains("data.essentials.alertId", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MissingModel_ReturnsNullNamingField()
    {
        JsonObject payload = Payload();
        payload["data"]!.AsObject().Remove("customProperties");

        (DriftAlert? alert, string error) = Parse(payload);

        Assert.Null(alert);
        Assert.Contains("data.customProperties.model", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_WrongSchemaId_ReturnsNullNamingField()
    {
        JsonObject payload = Payload();
        payload["schemaId"] = "Microsoft.Insights/activityLogs";

        (DriftAlert? alert, string error) = Parse(payload);

        Assert.Null(alert);
        Assert.Contains("schemaId", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"schemaId":5,"data":{}}""", "schemaId")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":"oops"}""", "data.essentials")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":null}""", "data.essentials")]
    public void TryParse_FieldOfWrongKind_ReturnsNullNamingFieldInsteadOfThrowing(string payload, string field)
    {
        DriftAlert? alert = DriftAlertParser.TryParse(payload, out string error);

        Assert.Null(alert);
        Assert.Contains(field, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_NotJson_ReturnsNullSayingSo()
    {
        (DriftAlert? alert, string error) = Parse("alert: drift on shop");

        Assert.Null(alert);
        Assert.StartsWith("not valid JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Empty_ReturnsNullSayingSo()
    {
        (DriftAlert? alert, string error) = Parse("  ");

        Assert.Null(alert);
        Assert.Equal("empty message", error);
    }
}
