using System.Text;
using System.Text.Json;

namespace GenAiServerless.Triggers;

/// <summary>A drift alert reduced to what the pipeline needs.</summary>
/// <param name="Model">The model the alert is about: the rule's custom property <c>model</c>, or the data drift
/// monitor's name (<c>{model}</c> or <c>{model}-…</c>), which the starter matches against the known models.</param>
public sealed record DriftAlert(string Model, string AlertId, bool Fired, string Rule, string Severity);

/// <summary>Reads the two shapes a drift alert arrives in on <c>drift-alerts</c> (or <c>POST /api/alerts</c>):
/// Azure Monitor's common alert schema (an action-group webhook; the model is the alert rule's custom property
/// <c>model</c>), and Azure ML's <c>Microsoft.MachineLearningServices.DatasetDriftDetected</c> event as Event Grid
/// delivers it to a storage queue (Event Grid or CloudEvents schema, the message Base64-encoded; the model is the data
/// drift monitor's name).</summary>
public static class DriftAlertParser
{
    /// <summary>The Event Grid event type of an Azure ML dataset drift.</summary>
    public const string DatasetDriftDetected = "Microsoft.MachineLearningServices.DatasetDriftDetected";

    /// <summary>Parses an alert; on failure returns null and a reason that names the field at fault.</summary>
    public static DriftAlert? TryParse(string payload, out string error)
    {
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(payload))
        {
            error = "empty message";
            return null;
        }

        string json = Decode(payload);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;

            // Event Grid's own delivery can batch events in an array; a queue message holds one.
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() == 1)
            {
                root = root[0];
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"expected a JSON object, found {root.ValueKind}";
                return null;
            }

            if ((Str(root, "eventType") ?? Str(root, "type")) is { } eventType)
            {
                return FromDriftEvent(root, eventType, out error);
            }

            return FromCommonAlert(root, out error);
        }
        catch (JsonException e)
        {
            error = $"not valid JSON: {e.Message}";
            return null;
        }
        catch (InvalidOperationException e)
        {
            // Well-formed JSON whose string escape is not valid UTF-16 (a lone surrogate such as \ud800): the parser
            // accepts it, reading the string throws.
            error = $"a string cannot be read as text: {e.Message}";
            return null;
        }
    }

    /// <summary>The text of a queue message: JSON as it is, or Base64 of it (Event Grid's storage-queue delivery and the
    /// Functions queue trigger with <c>messageEncoding: none</c>).</summary>
    public static string Decode(string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        string trimmed = payload.Trim();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            return payload;
        }

        try
        {
            string decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(trimmed));
            return decoded.TrimStart().StartsWith('{') || decoded.TrimStart().StartsWith('[') ? decoded : payload;
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return payload; // not Base64 either: parsed as it is, and rejected with the JSON error
        }
    }

    static DriftAlert? FromCommonAlert(JsonElement root, out string error)
    {
        error = string.Empty;
        if (!root.TryGetProperty("schemaId", out JsonElement schema) || schema.ValueKind != JsonValueKind.String || schema.GetString() != "azureMonitorCommonAlertSchema")
        {
            error = $"field 'schemaId' must be 'azureMonitorCommonAlertSchema' (or the message must be an Event Grid '{DatasetDriftDetected}' event)";
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

    static DriftAlert? FromDriftEvent(JsonElement root, string eventType, out string error)
    {
        error = string.Empty;
        if (eventType != DatasetDriftDetected)
        {
            error = $"field 'eventType' is '{eventType}': only '{DatasetDriftDetected}' events start retraining";
            return null;
        }

        string? id = Str(root, "id");
        if (id is null)
        {
            error = "field 'id' of the event is missing or empty";
            return null;
        }

        if (!root.TryGetProperty("data", out JsonElement data) || data.ValueKind != JsonValueKind.Object)
        {
            error = "field 'data' of the event is missing";
            return null;
        }

        string? monitor = Str(data, "DataDriftName") ?? Str(data, "dataDriftName");
        if (monitor is null)
        {
            error = "field 'data.DataDriftName' is missing: the data drift monitor must be named after the model it watches ('{model}' or '{model}-…')";
            return null;
        }

        string coefficient = data.TryGetProperty("DriftCoefficient", out JsonElement c) && c.ValueKind == JsonValueKind.Number
            ? c.GetDouble().ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)
            : "?";
        return new DriftAlert(monitor, id, Fired: true, $"{monitor}: dataset drift {coefficient}", "Sev2");
    }

    static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement el) && el.ValueKind == JsonValueKind.String && el.GetString() is { Length: > 0 } s ? s : null;
}
