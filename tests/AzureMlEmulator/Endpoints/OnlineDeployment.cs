using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>Where a deployment generation's files live and how its instances start.</summary>
sealed record DeploymentRuntime(string Folder, string ModelDirectory, string CodeDirectory, string ScoringScript, IReadOnlyDictionary<string, string?> Environment)
{
    public string InferenceServerLog => Path.Combine(Folder, "inference-server.log");

    public string StorageInitializerLog => Path.Combine(Folder, "storage-initializer.log");
}

/// <summary>An online deployment: its ARM body, provisioning state and the harness instances serving it.</summary>
sealed class OnlineDeployment(string endpoint, string name, DateTimeOffset created)
{
    public static readonly string[] BusyStates = ["Creating", "Updating", "Scaling", "Deleting"];

    public Lock Gate { get; } = new();

    public string Endpoint { get; } = endpoint;

    public string Name { get; } = name;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Modified { get; set; } = created;

    public JsonObject Body { get; set; } = [];

    public string ProvisioningState { get; set; } = "Creating";

    /// <summary>Incremented by each PUT: a generation is one model + code + settings provisioned together.</summary>
    public int Generation { get; set; }

    /// <summary>The files of the last generation provisioned (served, or failed: its logs answer getLogs).</summary>
    public DeploymentRuntime? Runtime { get; set; }

    /// <summary>The instances serving requests (possibly of an older generation while a newer one fails).</summary>
    public List<ScoringHarness> Instances { get; set; } = [];

    public int InFlight;

    public bool Busy => BusyStates.Contains(ProvisioningState, StringComparer.Ordinal);

    public JsonObject Properties => Body["properties"] as JsonObject ?? [];

    public int Capacity => RequestBody.Int(RequestBody.Object(Body, "sku"), "capacity") ?? 1;

    /// <summary>requestSettings.requestTimeout; Azure's default is 5 s.</summary>
    public TimeSpan RequestTimeout => RequestBody.Duration(RequestBody.Object(Properties, "requestSettings"), "requestTimeout", "requestTimeout") ?? TimeSpan.FromSeconds(5);

    public int MaxConcurrentPerInstance => Math.Max(1, RequestBody.Int(RequestBody.Object(Properties, "requestSettings"), "maxConcurrentRequestsPerInstance") ?? 1);
}
