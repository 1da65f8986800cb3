using System.Text.Json;

namespace GenAiServerless.Triggers;

/// <summary>A drift alert reduced to what the pipeline needs.</summary>
public sealed record DriftAlert(string Model, string AlertId, bool Fired, string Rule, string Severity);

/// <summary>Reads Azure Monitor's common alert schema (action-group webhook). The model comes from the alert rule's
/// custom property <c>model</c>.</summary>
public static class DriftAlertParser
{
    /// <summary>Parses an alert; on failure returns null and a reason that names the field at fault.</summary>
    public static DriftAlert? TryParse(string payload, out string error)
    {
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(payload))
        {
            error = "empty message";
            return null;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(payload);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"expected a JSON object, found {root.ValueKind}";
                return null;
            }

            if (!root.TryGetProperty("schemaId", out JsonElement schema) || schema.ValueKind != JsonValueKind.String || schema.GetString() != "azureMonitorCommonAlertSchema")
            {
                error = "field 'schemaId' must be 'azureMonitorCommonAlertSchema'";
                return null;
            }

            if (!root.TryGetProperty("data", out JsonElement data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("essentials", out JsonElement essentials) || essentials.ValueKind != JsonValueKind.Object)
            {
                error = "field 'data.essentials' is missing";
                return null;
            }

            string? alertId = Str(essentials, "alertId");
            if (alertId is null)
            {
                error = "field 'data.essentials.alertId' is missing or empty";
                return null;
            }

            string? model = data.TryGetProperty("customProperties", out JsonElement custom) && custom.ValueKind == JsonValueKind.Object ? Str(custom, "model") : null;
            if (model is null)
            {
                error = "field 'data.customProperties.model' is missing: the alert rule must name the model it watches";
                return null;
            }

            string condition = Str(essentials, "monitorCondition") ?? "Fired";
            return new DriftAlert(model, alertId, condition.Equals("Fired", StringComparison.OrdinalIgnoreCase), Str(essentials, "alertRule") ?? "(unnamed rule)", Str(essentials, "severity") ?? "Sev3");
        }
        catch (JsonException e)
        {
            error = $"not valid JSON: {e.Message}";
            return null;
        }
    }

    static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement el) && el.ValueKind == JsonValueKind.String && el.GetString() is { Length: > 0 } s ? s : null;
}
