using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Assets;

/// <summary>A compute target: its ARM body as last PUT and its provisioning state.</summary>
sealed class Compute(string name, JsonObject body, DateTimeOffset created)
{
    public string Name { get; } = name;

    public JsonObject Body { get; set; } = body;

    public string ProvisioningState { get; set; } = "Creating";

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Modified { get; set; } = created;

    /// <summary>True for a low-priority AmlCompute cluster (its nodes can be preempted).</summary>
    public bool LowPriority => string.Equals(RequestBody.Text(RequestBody.Object(RequestBody.Object(Body, "properties"), "properties"), "vmPriority"), "LowPriority", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Compute targets of every workspace: those PUT, plus the ones seeded by
/// <see cref="AzureMlEmulatorOptions.Computes"/> (present in every workspace, already Succeeded).</summary>
sealed class ComputeRegistry(AzureMlEmulatorOptions options, TimeProvider clock)
{
    readonly Lock gate = new();
    readonly Dictionary<string, Compute> computes = new(StringComparer.Ordinal);

    public Compute? Find(WorkspaceScope scope, string name)
    {
        ArgumentNullException.ThrowIfNull(scope);
        lock (gate)
        {
            if (computes.TryGetValue(Key(scope, name), out Compute? found))
            {
                return found;
            }

            if (options.Computes.TryGetValue(name, out string? priority))
            {
                var seeded = new Compute(name, Seed(priority), clock.GetUtcNow()) { ProvisioningState = "Succeeded" };
                computes[Key(scope, name)] = seeded;
                return seeded;
            }

            return null;
        }
    }

    /// <summary>Resolves a job's <c>computeId</c>: an ARM id of a compute in a workspace, or a bare name.</summary>
    public Compute? FindByReference(WorkspaceScope scope, string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (WorkspaceScope.TryParseChild(reference, out WorkspaceScope where, out string[] segments))
        {
            return segments is [var collection, var name] && string.Equals(collection, "computes", StringComparison.OrdinalIgnoreCase) ? Find(where, name) : null;
        }

        return reference.Contains('/', StringComparison.Ordinal) ? null : Find(scope, reference.StartsWith("azureml:", StringComparison.OrdinalIgnoreCase) ? reference[8..] : reference);
    }

    public (Compute Compute, bool Created) Put(WorkspaceScope scope, string name, JsonObject body)
    {
        lock (gate)
        {
            DateTimeOffset now = clock.GetUtcNow();
            if (computes.TryGetValue(Key(scope, name), out Compute? existing))
            {
                existing.Body = body;
                existing.Modified = now;
                existing.ProvisioningState = "Updating";
                return (existing, false);
            }

            var compute = new Compute(name, body, now);
            computes[Key(scope, name)] = compute;
            return (compute, true);
        }
    }

    JsonObject Seed(string priority) => new()
    {
        ["location"] = options.Location,
        ["properties"] = new JsonObject
        {
            ["computeType"] = "AmlCompute",
            ["properties"] = new JsonObject
            {
                ["vmSize"] = "Standard_NC24ads_A100_v4",
                ["vmPriority"] = priority,
                ["osType"] = "Linux",
                ["scaleSettings"] = new JsonObject { ["minNodeCount"] = 0, ["maxNodeCount"] = 4 },
            },
        },
    };

    static string Key(WorkspaceScope scope, string name) => scope.ChildKey("COMPUTES/" + name.ToUpperInvariant());
}
