using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Bicep;

/// <summary>A compiled ARM template (or a module's nested one) with the lookups the tests need.</summary>
internal sealed record ArmTemplate(JsonObject Json, string? ModuleName)
{
    private const string DeploymentType = "Microsoft.Resources/deployments";

    /// <summary>Resources declared directly in this template (symbolic-name object or classic array), without the
    /// <c>existing</c> references the symbolic form also lists.</summary>
    public IReadOnlyList<JsonObject> Resources => (Json["resources"] switch
    {
        JsonObject symbolic => symbolic.Select(pair => pair.Value!.AsObject()),
        JsonArray array => array.Select(node => node!.AsObject()),
        _ => [],
    }).Where(resource => resource["existing"]?.GetValue<bool>() != true).ToList();

    /// <summary>This template and every module template nested in it, depth first.</summary>
    public IEnumerable<ArmTemplate> SelfAndModules()
    {
        yield return this;
        foreach (var module in Resources.Where(resource => TypeOf(resource) == DeploymentType))
        {
            var nested = new ArmTemplate(module["properties"]!["template"]!.AsObject(), module["name"]!.GetValue<string>());
            foreach (var template in nested.SelfAndModules())
            {
                yield return template;
            }
        }
    }

    /// <summary>The deployment resource of the module named <paramref name="name"/>.</summary>
    public JsonObject ModuleDeployment(string name) =>
        Resources.Single(resource => TypeOf(resource) == DeploymentType && resource["name"]!.GetValue<string>() == name);

    /// <summary>The template of the module named <paramref name="name"/>.</summary>
    public ArmTemplate Module(string name) =>
        new(ModuleDeployment(name)["properties"]!["template"]!.AsObject(), name);

    /// <summary>Every resource of <paramref name="type"/> in this template and its modules.</summary>
    public IReadOnlyList<(ArmTemplate Template, JsonObject Resource)> ResourcesOfType(string type) =>
        SelfAndModules()
            .SelectMany(template => template.Resources.Select(resource => (template, resource)))
            .Where(pair => string.Equals(TypeOf(pair.resource), type, StringComparison.OrdinalIgnoreCase))
            .ToList();

    /// <summary>The one resource of <paramref name="type"/> anywhere in the deployment.</summary>
    public JsonObject SingleResource(string type) => ResourcesOfType(type).Single().Resource;

    /// <summary>Declared parameters by name.</summary>
    public IReadOnlyDictionary<string, JsonObject> Parameters =>
        (Json["parameters"] as JsonObject ?? [])
            .ToDictionary(pair => pair.Key, pair => pair.Value!.AsObject(), StringComparer.Ordinal);

    /// <summary>Declared outputs by name.</summary>
    public IReadOnlyDictionary<string, JsonObject> Outputs =>
        (Json["outputs"] as JsonObject ?? [])
            .ToDictionary(pair => pair.Key, pair => pair.Value!.AsObject(), StringComparer.Ordinal);

    /// <summary>A variable's compiled value.</summary>
    public JsonNode? Variable(string name) => Json["variables"]?[name];

    private static string TypeOf(JsonObject resource) => resource["type"]!.GetValue<string>();
}
