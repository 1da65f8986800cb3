using System.Text.Json;
using Azure;

namespace GenAiServerless.Platform;

/// <summary>What every Azure REST answer the thin clients read shares: a JSON body (or none) and, on failure, the
/// error body <c>{"error":{"code","message"}}</c> that ARM and the data-plane services (Key Vault) both use.</summary>
public static class AzureRestResponses
{
    /// <summary>The response's JSON body, or null when it has none or it is not JSON.</summary>
    public static JsonElement? JsonOf(Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Content is null || response.Content.ToMemory().Length == 0)
        {
            return null;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(response.Content.ToMemory());
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The error body's code and message, or <c>unknown</c> and the body's text.</summary>
    public static (string Code, string Message) ErrorOf(JsonElement? body)
    {
        if (body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("error", out JsonElement e) && e.ValueKind == JsonValueKind.Object)
        {
            return (e.TryGetProperty("code", out JsonElement c) ? c.GetString() ?? "unknown" : "unknown",
                e.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? string.Empty : string.Empty);
        }

        return ("unknown", body?.ToString() ?? string.Empty);
    }
}
