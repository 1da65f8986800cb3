using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace GenAiServerless.Api;

/// <summary>The OpenAPI 3.0 document of the API, generated from the route table, so it cannot drift from what the
/// dispatcher serves. Request schemas come from the body records as the strict reader sees them.</summary>
public static class OpenApiDocument
{
    /// <summary>Answers every route with a body or a role may give besides its own (the dispatcher's checks).</summary>
    static readonly Dictionary<int, string> Checks = new()
    {
        [400] = "a route value or the body is not valid (errors names the field)",
        [401] = "no bearer token, or one that is invalid or expired",
        [403] = "the token lacks the route's role, or the request came from another origin",
        [413] = "the body is larger than the route takes",
        [415] = "the body is not JSON",
    };

    public static JsonObject Build(IReadOnlyList<ApiRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var paths = new JsonObject();
        foreach (ApiRoute route in routes)
        {
            JsonObject item = paths[route.Template] as JsonObject ?? (JsonObject)(paths[route.Template] = new JsonObject());
            var operation = new JsonObject
            {
                ["operationId"] = route.OperationId,
                ["summary"] = route.Summary,
                ["x-required-role"] = route.Role?.ToString(),
                ["security"] = route.Role is null ? new JsonArray() : new JsonArray(new JsonObject { ["bearer"] = new JsonArray() }),
                ["parameters"] = new JsonArray(route.Parameters.Select(p => (JsonNode)new JsonObject
                {
                    ["name"] = p.Name,
                    ["in"] = "path",
                    ["required"] = true,
                    ["schema"] = p.IsInt ? new JsonObject { ["type"] = "integer", ["minimum"] = 1 } : new JsonObject { ["type"] = "string" },
                }).ToArray()),
            };
            if (route.Body is { } body)
            {
                JsonNode schema = body == typeof(JsonElement)
                    ? new JsonObject { ["type"] = "object" }
                    : JsonSchemaExporter.GetJsonSchemaAsNode(ApiRequestBody.Strict, body, new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true });
                operation["requestBody"] = new JsonObject
                {
                    ["required"] = true,
                    ["x-max-bytes"] = route.MaxBodyBytes,
                    ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = schema } },
                };
            }

            var responses = new JsonObject();
            IEnumerable<KeyValuePair<int, string>> all = route.Responses
                .Concat(Checks.Where(c => route.Role is not null && (route.Body is not null || c.Key is 401 or 403 || (c.Key == 400 && route.Parameters.Any(p => p.IsInt)))))
                .DistinctBy(r => r.Key)
                .OrderBy(r => r.Key);
            foreach ((int status, string description) in all)
            {
                responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = status >= 400
                    ? new JsonObject { ["description"] = description, ["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Problem" } } } }
                    : new JsonObject { ["description"] = description };
            }

            operation["responses"] = responses;
            item[route.Method.ToLowerInvariant()] = operation;
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject { ["title"] = "GenAiServerless pipeline API", ["version"] = "1" },
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["bearer"] = new JsonObject
                    {
                        ["type"] = "http",
                        ["scheme"] = "bearer",
                        ["bearerFormat"] = "JWT",
                        ["description"] = "Entra ID access token for the API's app registration (Azure) or `genai token` (local); app roles Reader, Deployer, Approver, Operator in the roles claim",
                    },
                },
                ["schemas"] = new JsonObject
                {
                    ["Problem"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["type"] = new JsonObject { ["type"] = "string" },
                            ["title"] = new JsonObject { ["type"] = "string" },
                            ["status"] = new JsonObject { ["type"] = "integer" },
                            ["detail"] = new JsonObject { ["type"] = "string" },
                            ["errors"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } } },
                        },
                    },
                },
            },
        };
    }

    /// <summary>The document as indented JSON text.</summary>
    public static string Json(IReadOnlyList<ApiRoute> routes) => Build(routes).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
}
