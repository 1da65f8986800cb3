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

    [Theory]
    [InlineData("""{"eventType":"\ud800"}""")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"\udc00","monitorCondition":"Fired"},"customProperties":{"model":"shop"}}}""")]
    [InlineData("""{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a1","monitorCondition":"Fired","alertRule":"x\ud800"},"customProperties":{"model":"shop"}}}""")]
    public void TryParse_StringEscapeNotValidUtf16_ReturnsNullSayingSoInsteadOfThrowing(string payload)
    {
        (DriftAlert? alert, string error) = Parse(payload);

        Assert.Null(alert);
        Assert.StartsWith("a string cannot be read as text", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Empty_ReturnsNullSayingSo()
    {
        (DriftAlert? alert, string error) = Parse("  ");

        Assert.Null(alert);
        Assert.Equal("empty message", error);
    }

    /// <summary>Azure ML's dataset drift event as Event Grid writes it to a storage queue (Event Grid schema).</summary>
    private static JsonObject DriftEvent(string monitor = "shop-weekly") => new()
    {
        ["id"] = "6b1e2f6a-0000-4000-8000-000000000001",
        ["topic"] = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
        ["subject"] = "datadrifts/5b2e/runs/run-17",
        ["eventType"] = DriftAlertParser.DatasetDriftDetected,
        ["eventTime"] = "2026-12-01T10:00:00Z",
        ["dataVersion"] = "2",
        ["data"] = new JsonObject
        {
            ["DataDriftId"] = "5b2e",
            ["DataDriftName"] = monitor,
            ["RunId"] = "run-17",
            ["BaseDatasetId"] = "base-1",
            ["TargetDatasetId"] = "target-1",
            ["DriftCoefficient"] = 0.8123,
            ["StartTime"] = "2026-11-24T00:00:00Z",
            ["EndTime"] = "2026-12-01T00:00:00Z",
        },
    };

    [Fact]
    public void TryParse_DatasetDriftEventBase64AsEventGridQueuesIt_ReturnsMonitorAndEventId()
    {
        string message = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(DriftEvent().ToJsonString()));

        (DriftAlert? alert, string error) = Parse(message);

        Assert.True(alert is not null, error);
        Assert.Equal(("shop-weekly", "6b1e2f6a-0000-4000-8000-000000000001", true), (alert.Model, alert.AlertId, alert.Fired));
        Assert.Contains("0.812", alert.Rule, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_DatasetDriftCloudEvent_ReturnsMonitorAndEventId()
    {
        var cloudEvent = new JsonObject
        {
            ["specversion"] = "1.0",
            ["type"] = DriftAlertParser.DatasetDriftDetected,
            ["source"] = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws",
            ["id"] = "ce-1",
            ["data"] = DriftEvent("shop")["data"]!.DeepClone(),
        };

        (DriftAlert? alert, string error) = Parse(cloudEvent);

        Assert.True(alert is not null, error);
        Assert.Equal(("shop", "ce-1"), (alert.Model, alert.AlertId));
    }

    [Fact]
    public void TryParse_OtherEventType_ReturnsNullNamingTheType()
    {
        JsonObject other = DriftEvent();
        other["eventType"] = "Microsoft.MachineLearningServices.RunCompleted";

        (DriftAlert? alert, string error) = Parse(other);

        Assert.Null(alert);
        Assert.Contains("RunCompleted", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_DriftEventWithoutMonitorName_ReturnsNullNamingField()
    {
        JsonObject incomplete = DriftEvent();
        incomplete["data"]!.AsObject().Remove("DataDriftName");

        (DriftAlert? alert, string error) = Parse(incomplete);

        Assert.Null(alert);
        Assert.Contains("data.DataDriftName", error, StringComparison.Ordinal);
    }
}
