using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace GenAiServerless.Api;

/// <summary>One route of the pipeline API: what it matches, who may call it, what body it takes, what it answers,
/// and the work it does. The route table (<see cref="PipelineApiRoutes"/>) is the single source of the dispatcher's
/// behaviour and of the OpenAPI document.</summary>
/// <param name="Method">HTTP method, upper case.</param>
/// <param name="Template">Full path with <c>{name}</c> segments; <c>{name:int}</c> takes a positive number.</param>
/// <param name="Role">The role a caller needs; null only for <c>GET /api/health</c>.</param>
/// <param name="Body">The JSON body's type (an object, read strictly), or null when the route takes no body.</param>
/// <param name="MaxBodyBytes">The largest body accepted (413 above).</param>
/// <param name="Responses">Status codes the route answers besides the checks every route makes, with what each means.</param>
public sealed record ApiRoute(
    string Method,
    string Template,
    string OperationId,
    string Summary,
    ApiRole? Role,
    Type? Body,
    int MaxBodyBytes,
    IReadOnlyDictionary<int, string> Responses,
    Func<ApiCall, Task<IResult>> Handle)
{
    /// <summary>Commands (deploy, approve, cancel…) need a few hundred bytes; 4 KB leaves room for a comment.</summary>
    public const int CommandBodyLimit = 4 * 1024;

    /// <summary>An Azure Monitor common-schema alert is at most 256 KB.</summary>
    public const int AlertBodyLimit = 256 * 1024;

    string[] Segments => Template.Trim('/').Split('/');

    /// <summary>The route's parameters: name and whether it takes a number (<c>{name:int}</c>).</summary>
    public IEnumerable<(string Name, bool IsInt)> Parameters =>
        Segments.Where(IsParameter).Select(s => s[1..^1].Split(':') is [var name, "int"] ? (name, true) : (s[1..^1], false));

    /// <summary>Matches a request path (already split into unescaped segments) against the template.</summary>
    public bool TryMatch(IReadOnlyList<string> path, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (path.Count != Segments.Length)
        {
            return false;
        }

        for (int i = 0; i < Segments.Length; i++)
        {
            if (IsParameter(Segments[i]))
            {
                if (path[i].Length == 0)
                {
                    return false;
                }

                values[Segments[i][1..^1].Split(':')[0]] = path[i];
            }
            else if (!string.Equals(Segments[i], path[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The first route value that breaks its constraint, as (name, reason); null when all hold.</summary>
    public (string Name, string Reason)? Violation(IReadOnlyDictionary<string, string> values)
    {
        foreach ((string name, bool isInt) in Parameters)
        {
            if (isInt && !(int.TryParse(values[name], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0))
            {
                return (name, $"'{name}' must be a positive whole number, got '{values[name]}'");
            }
        }

        return null;
    }

    static bool IsParameter(string segment) => segment.Length > 2 && segment[0] == '{' && segment[^1] == '}';
}
