using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>An online endpoint: its ARM body, keys, deployments, and the traffic the scoring route applies (the
/// declared traffic takes effect when the update that set it succeeds).</summary>
sealed class OnlineEndpoint(WorkspaceScope scope, string name, DateTimeOffset created)
{
    public Lock Gate { get; } = new();

    public WorkspaceScope Scope { get; } = scope;

    public string Name { get; } = name;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset Modified { get; set; } = created;

    public JsonObject Body { get; set; } = [];

    public string ProvisioningState { get; set; } = "Creating";

    public string PrimaryKey { get; } = NewKey();

    public string SecondaryKey { get; } = NewKey();

    /// <summary>Tokens handed out by <c>POST …/token</c> (AMLToken endpoints).</summary>
    public HashSet<string> Tokens { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, OnlineDeployment> Deployments { get; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int> LiveTraffic { get; private set; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, PercentSampler> LiveMirror { get; private set; } = new Dictionary<string, PercentSampler>();

    public TrafficSplit Split { get; private set; } = new(new Dictionary<string, int>());

    public JsonObject Properties => Body["properties"] as JsonObject ?? [];

    public string AuthMode => RequestBody.Text(Properties, "authMode") ?? "Key";

    public string Location => RequestBody.Text(Body, "location") ?? "";

    public Dictionary<string, int> DeclaredTraffic => RequestBody.IntMap(RequestBody.Object(Properties, "traffic"), "properties.traffic");

    public Dictionary<string, int> DeclaredMirror => RequestBody.IntMap(RequestBody.Object(Properties, "mirrorTraffic"), "properties.mirrorTraffic");

    /// <summary>Makes the declared traffic the live one (callers hold <see cref="Gate"/>).</summary>
    public void ApplyTraffic()
    {
        LiveTraffic = DeclaredTraffic;
        LiveMirror = DeclaredMirror.Where(m => m.Value > 0).ToDictionary(m => m.Key, m => new PercentSampler(m.Value), StringComparer.Ordinal);
        Split = new TrafficSplit(LiveTraffic);
    }

    static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
