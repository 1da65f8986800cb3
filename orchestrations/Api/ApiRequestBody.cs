using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace GenAiServerless.Api;

/// <summary>Reads a route's JSON body: JSON media type only (415), at most the route's limit (413), an object of
/// exactly the route's type (400 naming the field: no unknown members, no strings for numbers, no duplicates).</summary>
public static class ApiRequestBody
{
    /// <summary>The API's JSON: camelCase, and strict where the Web defaults are lenient.</summary>
    public static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,

        // Named so the OpenAPI document can describe the bodies before any has been read.
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    /// <summary>A body read: the value and its text, or the error answer.</summary>
    public sealed record Read(object? Value, string? Text, IResult? Error);

    public static async Task<Read> ReadAsync(HttpRequest request, Type type, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(type);
        if (!IsJson(request.ContentType))
        {
            return Fail(ApiProblems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"the body must be JSON (Content-Type: application/json), got '{(string.IsNullOrEmpty(request.ContentType) ? "none" : request.ContentType)}'", "Content-Type"));
        }

        if (request.ContentLength > maxBytes)
        {
            return Fail(TooLarge(maxBytes));
        }

        byte[] buffer = new byte[maxBytes + 1];
        int length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length > maxBytes)
        {
            return Fail(TooLarge(maxBytes));
        }

        ReadOnlySpan<byte> bytes = buffer.AsSpan(0, length);
        if (bytes.Trim(" \t\r\n"u8).IsEmpty)
        {
            return Fail(ApiProblems.BadRequest("body", $"the body is empty: expected a JSON object ({Describe(type)})"));
        }

        try
        {
            using (JsonDocument doc = JsonDocument.Parse(buffer.AsMemory(0, length)))
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return Fail(ApiProblems.BadRequest("body", $"the body is a JSON {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}: expected an object ({Describe(type)})"));
                }
            }

            object? value = type == typeof(JsonElement) ? null : JsonSerializer.Deserialize(bytes, type, Strict);
            return new Read(value, System.Text.Encoding.UTF8.GetString(bytes), null);
        }
        catch (JsonException e)
        {
            return Fail(ApiProblems.BadRequest(Field(e), $"the body is not a valid {Describe(type)}: {e.Message}"));
        }
        catch (ArgumentException e)
        {
            // Invalid UTF-8 in a string surfaces as a decoder fault.
            return Fail(ApiProblems.BadRequest("body", $"the body is not valid UTF-8 JSON: {e.Message}"));
        }
    }

    /// <summary>The member at fault, from the serialiser's JSON path (<c>$.version</c> → <c>version</c>); an unknown
    /// member is named in the message only, so it is taken from there.</summary>
    static string Field(JsonException e)
    {
        if (e.Message.StartsWith("The JSON property '", StringComparison.Ordinal) && e.Message.IndexOf('\'', 19) is int end and > 19)
        {
            return e.Message[19..end];
        }

        string path = e.Path ?? "$";
        return path is "$" or "" ? "body" : path.TrimStart('$', '.');
    }

    static string Describe(Type type) =>
        type == typeof(JsonElement)
            ? "JSON object"
            : $"{type.Name} {{ {string.Join(", ", type.GetProperties().Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)))} }}";

    static Read Fail(IResult error) => new(null, null, error);

    static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooLarge(int maxBytes) =>
        ApiProblems.Problem(StatusCodes.Status413PayloadTooLarge, "The body is too large", $"this route takes at most {maxBytes} bytes", "body");

    static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out MediaTypeHeaderValue? media))
        {
            return false;
        }

        bool json = media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.MediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        return json && (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }
}
