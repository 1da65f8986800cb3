using System.Text;
using System.Text.Json.Nodes;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>An ARM error, serialised as <c>{"error":{"code","message","target","details":[],"additionalInfo":[]}}</c>
/// (common-types ErrorResponse, which every mfe.json operation names as its default response).</summary>
public sealed record ArmError(string Code, string Message, string? Target = null)
{
    /// <summary>Azure ML answers bad input with the code <c>UserError</c>; the target names the field.</summary>
    public static ArmError User(string message, string? target = null) => new("UserError", message, target);

    public static ArmError NotFound(string resourceType, string name) =>
        new("ResourceNotFound", $"The resource '{resourceType}/{name}' was not found.", name);

    public static ArmError Conflict(string message, string? target = null) => new("Conflict", message, target);

    public JsonObject ToJson() => new()
    {
        ["error"] = new JsonObject
        {
            ["code"] = Code,
            ["message"] = Message,
            ["target"] = Target,
            ["details"] = new JsonArray(),
            ["additionalInfo"] = new JsonArray(),
        },
    };

    /// <summary>Writes the error from middleware, where there is no endpoint result to return.</summary>
    public Task WriteAsync(HttpContext context, int statusCode)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(ToJson().ToJsonString(ArmResults.Serialization), Encoding.UTF8, context.RequestAborted);
    }
}

/// <summary>Thrown where a check deep in a handler finds bad input; the route turns it into the ARM error.</summary>
public sealed class ArmException(int statusCode, ArmError error) : Exception(error.Message)
{
    public int StatusCode { get; } = statusCode;

    public ArmError Error { get; } = error;
}
