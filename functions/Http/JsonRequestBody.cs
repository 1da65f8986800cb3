using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace GenAiServerless.Functions.Http;

/// <summary>Reads a JSON request body into a command record, with an error that names what was wrong.</summary>
public static class JsonRequestBody
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Reads the body as <typeparamref name="T"/>. An empty body gives <paramref name="whenEmpty"/> (null means
    /// the body is required). On failure returns null and sets <paramref name="error"/>.</summary>
    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpRequest request, T? whenEmpty, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        using var reader = new StreamReader(request.Body);
        string text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return whenEmpty is null ? (null, $"the body is empty: expected a JSON {typeof(T).Name} object") : (whenEmpty, null);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(text, Json) is { } value
                ? (value, null)
                : (null, $"the body is JSON null: expected a {typeof(T).Name} object");
        }
        catch (JsonException e)
        {
            // System.Text.Json names the path and position of the fault (e.g. "Path: $.version").
            return (null, $"the body is not a valid {typeof(T).Name}: {e.Message}");
        }
    }
}
