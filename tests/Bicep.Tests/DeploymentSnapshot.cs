using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace GenAiServerless.Tests.Bicep;

/// <summary>What <c>bicep snapshot</c> predicts a deployment of main.bicep creates for one set of parameters: every
/// resource with conditions decided, loops expanded and names and scopes resolved. Values that exist only after
/// deployment (a new identity's principal ID, an account's endpoints) stay <c>[reference(…)]</c> expressions.</summary>
internal sealed partial class DeploymentSnapshot(JsonObject json)
{
    private const string RoleAssignmentType = "Microsoft.Authorization/roleAssignments";
    private const string RoleAssignmentSegment = "/providers/Microsoft.Authorization/roleAssignments/";

    /// <summary>Every predicted resource.</summary>
    public IReadOnlyList<JsonObject> Resources { get; } =
        json["predictedResources"]!.AsArray().Select(node => node!.AsObject()).ToList();

    /// <summary>Every predicted resource of <paramref name="type"/>.</summary>
    public IReadOnlyList<JsonObject> OfType(string type) =>
        Resources.Where(resource => string.Equals(resource["type"]!.GetValue<string>(), type, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>The one predicted resource of <paramref name="type"/>.</summary>
    public JsonObject Single(string type) => Assert.Single(OfType(type));

    /// <summary>The one predicted resource of <paramref name="type"/> whose name starts with <paramref name="namePrefix"/>.</summary>
    public JsonObject Single(string type, string namePrefix) =>
        Assert.Single(OfType(type), resource => resource["name"]!.GetValue<string>().StartsWith(namePrefix, StringComparison.Ordinal));

    /// <summary>The function app's settings as the snapshot predicts them.</summary>
    public IReadOnlyDictionary<string, string> AppSettings =>
        Single("Microsoft.Web/sites/config")["properties"]!.AsObject()
            .ToDictionary(pair => pair.Key, pair => pair.Value!.GetValue<string>(), StringComparer.Ordinal);

    /// <summary>Every role assignment: who, which role, on what, with which condition.</summary>
    public IReadOnlyList<RoleGrant> RoleAssignments => OfType(RoleAssignmentType).Select(RoleGrant.From).ToList();

    /// <summary>One role assignment, read from the snapshot.</summary>
    /// <param name="Principal">The name of the resource whose identity holds the role (<c>id-func-…</c>, <c>mlw-…</c>), or
    /// the principal ID as given when it is a parameter (the developer).</param>
    /// <param name="RoleDefinitionId">The role definition GUID.</param>
    /// <param name="Scope">The resource ID the role is assigned on.</param>
    /// <param name="Condition">The ABAC condition, if any.</param>
    /// <param name="Name">The assignment's name expression.</param>
    internal sealed record RoleGrant(string Principal, string RoleDefinitionId, string Scope, string? Condition, string Name)
    {
        /// <summary>The last segment of <see cref="Scope"/>: a resource's own name (account, container, queue, vault…).</summary>
        public string ScopeName => Scope[(Scope.LastIndexOf('/') + 1)..];

        /// <summary>The scope's resource type, e.g. <c>Microsoft.Storage/storageAccounts/blobServices/containers</c>.</summary>
        public string ScopeType
        {
            get
            {
                string[] parts = Scope[(Scope.LastIndexOf("/providers/", StringComparison.Ordinal) + "/providers/".Length)..].Split('/');
                return string.Join('/', new[] { $"{parts[0]}/{parts[1]}" }.Concat(parts.Skip(3).Where((_, i) => i % 2 == 0)));
            }
        }

        public static RoleGrant From(JsonObject resource)
        {
            string id = resource["id"]!.GetValue<string>();
            Match extension = ExtensionResourceId().Match(id);
            string scope = extension.Success ? extension.Groups["scope"].Value : id[..id.LastIndexOf(RoleAssignmentSegment, StringComparison.Ordinal)];
            JsonNode properties = resource["properties"]!;
            string principal = properties["principalId"]!.GetValue<string>();
            Match reference = ReferencedResource().Match(principal);
            string roleDefinitionId = properties["roleDefinitionId"]!.GetValue<string>();
            return new RoleGrant(
                reference.Success ? reference.Groups["id"].Value[(reference.Groups["id"].Value.LastIndexOf('/') + 1)..] : principal,
                roleDefinitionId[(roleDefinitionId.LastIndexOf('/') + 1)..],
                scope,
                properties["condition"]?.GetValue<string>(),
                resource["name"]!.GetValue<string>());
        }
    }

    [GeneratedRegex(@"^\[extensionResourceId\('(?<scope>[^']+)'")]
    private static partial Regex ExtensionResourceId();

    [GeneratedRegex(@"^\[reference\('(?<id>[^']+)'")]
    private static partial Regex ReferencedResource();
}
