using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>Reads ARM request bodies as JSON objects and walks them; a body that is not a JSON object is a 400.</summary>
static class RequestBody
{
    public static async Task<JsonObject> ReadObjectAsync(HttpRequest request)
    {
        try
        {
            JsonNode? node = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            return node as JsonObject
                ?? throw new ArmException(StatusCodes.Status400BadRequest, new ArmError("InvalidRequestContent", "The request body must be a JSON object."));
        }
        catch (JsonException e)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, new ArmError("InvalidRequestContent", $"The request content was invalid and could not be deserialized: {e.Message}"));
        }
    }

    /// <summary>An optional body (POST actions): empty means an empty object.</summary>
    public static async Task<JsonObject> ReadOptionalObjectAsync(HttpRequest request)
    {
        if (request.ContentLength == 0)
        {
            return [];
        }

        using var reader = new StreamReader(request.Body);
        string text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject
                ?? throw new ArmException(StatusCodes.Status400BadRequest, new ArmError("InvalidRequestContent", "The request body must be a JSON object."));
        }
        catch (JsonException e)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, new ArmError("InvalidRequestContent", $"The request content was invalid and could not be deserialized: {e.Message}"));
        }
    }

    public static JsonObject Properties(JsonObject body) => body["properties"] as JsonObject
        ?? throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User("The request body has no 'properties' object.", "properties"));

    public static string? Text(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    public static JsonObject? Object(JsonNode? node, string name) => node is JsonObject o ? o[name] as JsonObject : null;

    public static int? Int(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v ? v.TryGetValue(out int i) ? i : v.TryGetValue(out double d) ? (int)d : null : null;

    public static string RequireText(JsonObject node, string name, string target) => Text(node, name)
        ?? throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"'{target}' is required.", target));

    /// <summary>A name → integer map such as <c>traffic</c>; a value that is not an integer is a 400.</summary>
    public static Dictionary<string, int> IntMap(JsonObject? node, string target)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        if (node is null)
        {
            return map;
        }

        foreach ((string key, JsonNode? value) in node)
        {
            if (value is not JsonValue v || !v.TryGetValue(out int i))
            {
                throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"'{target}.{key}' must be an integer.", $"{target}.{key}"));
            }

            map[key] = i;
        }

        return map;
    }

    public static JsonObject Clone(JsonObject node) => (JsonObject)node.DeepClone();

    /// <summary>Durations as ARM sends them (ISO 8601, <c>PT5S</c>).</summary>
    public static TimeSpan? Duration(JsonNode? node, string name, string target)
    {
        string? text = Text(node, name);
        if (text is null)
        {
            return null;
        }

        try
        {
            return System.Xml.XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"'{target}' must be an ISO 8601 duration such as PT5S, not '{text}'.", target));
        }
    }
}
