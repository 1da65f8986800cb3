using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Assets;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>What a Command job must hold to be accepted (400 naming the field otherwise): <c>jobType</c> Command,
/// <c>command</c>, <c>environmentId</c> (registered or curated), a registered <c>codeId</c>, an existing
/// <c>computeId</c>, inputs and outputs that resolve to datastores, and no <c>${{inputs.X}}</c> binding to a missing
/// input. Outputs without a <c>uri</c> get Azure ML's default under workspaceblobstore.</summary>
sealed partial class JobValidation(AssetRegistry assets, AssetValidation assetValidation, ComputeRegistry computes, StorageLocations locations)
{
    static readonly string[] InputModes = ["ReadOnlyMount", "ReadWriteMount", "Download", "Direct", "EvalMount", "EvalDownload"];
    static readonly string[] OutputModes = ["ReadWriteMount", "Upload", "Direct"];

    /// <summary>Checks the job's properties (completing output URIs in place); returns whether it runs on low priority.</summary>
    public bool Validate(WorkspaceScope scope, string jobName, JsonObject properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        string jobType = RequestBody.RequireText(properties, "jobType", "properties.jobType");
        if (!string.Equals(jobType, "Command", StringComparison.OrdinalIgnoreCase))
        {
            Throw($"jobType '{jobType}' is not supported by the emulator: it runs Command jobs only.", "properties.jobType");
        }

        string command = RequestBody.RequireText(properties, "command", "properties.command");
        if (assetValidation.CheckEnvironmentId(RequestBody.Text(properties, "environmentId"), "properties.environmentId") is { } environmentError)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, environmentError);
        }

        if (RequestBody.Text(properties, "codeId") is { } codeId && assets.FindById(AssetKind.Codes, codeId) is null)
        {
            Throw($"Code '{codeId}' was not found: register it with PUT {{workspace}}/codes/{{name}}/versions/{{version}} first.", "properties.codeId");
        }

        bool lowPriority = string.Equals(RequestBody.Text(RequestBody.Object(properties, "queueSettings"), "jobTier"), "Spot", StringComparison.OrdinalIgnoreCase);
        if (RequestBody.Text(properties, "computeId") is { } computeId)
        {
            Compute compute = computes.FindByReference(scope, computeId) ?? throw Error($"Compute '{computeId}' was not found in workspace '{scope.Workspace}'.", "properties.computeId");
            lowPriority |= compute.LowPriority;
        }

        RequestBody.Duration(RequestBody.Object(properties, "limits"), "timeout", "properties.limits.timeout");
        HashSet<string> inputs = CheckInputs(scope, RequestBody.Object(properties, "inputs"));
        HashSet<string> outputs = CheckOutputs(scope, jobName, properties);
        foreach (Match binding in Bindings().Matches(command))
        {
            string kind = binding.Groups["kind"].Value, name = binding.Groups["name"].Value;
            if (!(kind == "inputs" ? inputs : outputs).Contains(name))
            {
                Throw($"The command binds ${{{{{kind}.{name}}}}} but the job has no {kind[..^1]} named '{name}'.", "properties.command");
            }
        }

        return lowPriority;
    }

    HashSet<string> CheckInputs(WorkspaceScope scope, JsonObject? inputs)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, JsonNode? node) in inputs ?? [])
        {
            string target = $"properties.inputs.{name}";
            if (node is not JsonObject input)
            {
                throw Error($"'{target}' must be an object.", target);
            }

            string type = RequestBody.RequireText(input, "jobInputType", $"{target}.jobInputType");
            if (string.Equals(type, "literal", StringComparison.OrdinalIgnoreCase))
            {
                RequestBody.RequireText(input, "value", $"{target}.value");
            }
            else
            {
                CheckMode(input, InputModes, target);
                locations.Resolve(scope, RequestBody.RequireText(input, "uri", $"{target}.uri"), $"{target}.uri");
            }

            names.Add(name);
        }

        return names;
    }

    HashSet<string> CheckOutputs(WorkspaceScope scope, string jobName, JsonObject properties)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, JsonNode? node) in RequestBody.Object(properties, "outputs") ?? [])
        {
            string target = $"properties.outputs.{name}";
            if (node is not JsonObject output)
            {
                throw Error($"'{target}' must be an object.", target);
            }

            RequestBody.RequireText(output, "jobOutputType", $"{target}.jobOutputType");
            CheckMode(output, OutputModes, target);
            // Azure ML gives an output without a uri a folder of its own under the default datastore.
            output["uri"] ??= $"azureml://datastores/{DatastoreRegistry.DefaultName}/paths/azureml/{jobName}/{name}/";
            locations.Resolve(scope, RequestBody.Text(output, "uri")!, $"{target}.uri");
            names.Add(name);
        }

        return names;
    }

    static void CheckMode(JsonObject binding, string[] allowed, string target)
    {
        if (RequestBody.Text(binding, "mode") is { } mode && !allowed.Contains(mode, StringComparer.OrdinalIgnoreCase))
        {
            Throw($"mode '{mode}' is not one of {string.Join(", ", allowed)}.", $"{target}.mode");
        }
    }

    static ArmException Error(string message, string target) => new(StatusCodes.Status400BadRequest, ArmError.User(message, target));

    static void Throw(string message, string target) => throw Error(message, target);

    [GeneratedRegex(@"\$\{\{\s*(?<kind>inputs|outputs)\.(?<name>[A-Za-z0-9_\-]+)\s*\}\}", RegexOptions.CultureInvariant)]
    public static partial Regex Bindings();
}
