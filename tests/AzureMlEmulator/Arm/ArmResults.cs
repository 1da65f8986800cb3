using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>The results the ARM routes return: JSON bodies, ARM errors, and either with extra headers (the LRO ones).</summary>
static class ArmResults
{
    /// <summary>JSON as ARM writes it: UTF-8 text, apostrophes and the like unescaped.</summary>
    public static readonly JsonSerializerOptions Serialization = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IResult Json(JsonNode body, int statusCode = StatusCodes.Status200OK) =>
        Results.Content(body.ToJsonString(Serialization), "application/json; charset=utf-8", Encoding.UTF8, statusCode);

    public static IResult Error(int statusCode, ArmError error) => Json(error.ToJson(), statusCode);

    public static IResult BadRequest(string message, string? target = null) => Error(StatusCodes.Status400BadRequest, ArmError.User(message, target));

    public static IResult NotFound(string resourceType, string name) => Error(StatusCodes.Status404NotFound, ArmError.NotFound(resourceType, name));

    public static IResult Conflict(string message, string? target = null) => Error(StatusCodes.Status409Conflict, ArmError.Conflict(message, target));

    public static IResult Status(int statusCode) => Results.StatusCode(statusCode);

    public static IResult WithHeaders(this IResult inner, params (string Name, string Value)[] headers) => new HeaderResult(inner, headers);

    sealed class HeaderResult(IResult inner, (string Name, string Value)[] headers) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            foreach ((string name, string value) in headers)
            {
                httpContext.Response.Headers[name] = value;
            }

            return inner.ExecuteAsync(httpContext);
        }
    }
}
