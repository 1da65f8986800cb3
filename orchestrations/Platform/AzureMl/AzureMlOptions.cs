using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Platform.AzureMl;

/// <summary>The Azure ML workspace the pipeline uses for jobs, model assets and online endpoints. Bound from
/// <c>AzureMl</c>.</summary>
public sealed class AzureMlOptions
{
    [Required]
    public string SubscriptionId { get; set; } = string.Empty;

    [Required]
    public string ResourceGroup { get; set; } = string.Empty;

    [Required]
    public string WorkspaceName { get; set; } = string.Empty;

    /// <summary>The workspace's region: the location of its online endpoints and deployments.</summary>
    [Required]
    public string Region { get; set; } = string.Empty;

    /// <summary>A low-priority AmlCompute cluster for spot attempts; empty runs them on serverless compute with
    /// <c>jobTier: Spot</c>. A cluster decides spot by its <c>vmPriority</c> and the VM size by its own.</summary>
    public string? ComputeName { get; set; }

    /// <summary>A dedicated AmlCompute cluster for attempts that must not be preempted (the fallback past the restart
    /// budget or the deadline, or <c>Training:AllowSpot</c> off); empty runs them on serverless compute with
    /// <c>jobTier: Standard</c>, never on the low-priority <see cref="ComputeName"/>.</summary>
    public string? DedicatedComputeName { get; set; }

    /// <summary>ARM api-version of Microsoft.MachineLearningServices (stable: 2025-12-01, 2025-09-01, …).</summary>
    [Required]
    public string ApiVersion { get; set; } = "2025-12-01";

    /// <summary>The Azure Resource Manager endpoint: Azure's by default, or any server that speaks the ARM API (the
    /// tests' Azure ML emulator).</summary>
    [Required]
    public Uri ArmEndpoint { get; set; } = new("https://management.azure.com");

    /// <summary>A fixed bearer token instead of the app's identity: only for an emulator of the ARM API. Never set it
    /// on Azure.</summary>
    public string? StaticToken { get; set; }

    /// <summary>The datastores over the data account's containers of the same names (created by the Bicep).</summary>
    [Required]
    public string CuratedDatastore { get; set; } = "curated";

    [Required]
    public string ModelsDatastore { get; set; } = "models";

    [Required]
    public string CheckpointsDatastore { get; set; } = "checkpoints";

    /// <summary>The datastore over the registry container: model assets point at the registered files there.</summary>
    [Required]
    public string RegistryDatastore { get; set; } = "registry";

    public string ExperimentName { get; set; } = "genai-pipeline";

    /// <summary>A job's maximum run time.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "30.00:00:00")]
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromHours(12);

    /// <summary>The code asset that carries the components folder (jobs and deployments), versioned by content hash.</summary>
    [Required]
    public string CodeAssetName { get; set; } = "genai-components";

    /// <summary>Put before a model's name to name its online endpoint (endpoint names are unique within a region).</summary>
    public string EndpointPrefix { get; set; } = string.Empty;

    /// <summary>How callers authenticate to the online endpoints: Key, AMLToken or AADToken.</summary>
    [Required]
    [RegularExpression("^(Key|AMLToken|AADToken)$", ErrorMessage = "AzureMl:EndpointAuthMode is Key, AMLToken or AADToken")]
    public string EndpointAuthMode { get; set; } = "Key";

    /// <summary>Whether the endpoints' scoring URIs are reachable from the internet (Enabled) or only through the
    /// workspace's private endpoint (Disabled).</summary>
    [Required]
    [RegularExpression("^(Enabled|Disabled)$", ErrorMessage = "AzureMl:EndpointPublicNetworkAccess is Enabled or Disabled")]
    public string EndpointPublicNetworkAccess { get; set; } = "Enabled";

    /// <summary>The user-assigned identity the endpoints run as (resource id; the Bicep's endpoint identity, which may
    /// read the registry and the code assets); empty gives each endpoint a system-assigned identity.</summary>
    public string? EndpointIdentityId { get; set; }

    /// <summary>The VM size and count of each online deployment.</summary>
    [Required]
    public string DeploymentInstanceType { get; set; } = "Standard_DS3_v2";

    [Range(1, 100)]
    public int DeploymentInstanceCount { get; set; } = 1;

    /// <summary>The environment online deployments run <c>score.py</c> in: a curated inference image with Python. It
    /// serves n-gram models (their server is the self-contained trainer in the code asset); a causal-LM model needs an
    /// inference environment with PyTorch, named in <see cref="ScoringEnvironments"/>.</summary>
    [Required]
    public string ScoringEnvironmentId { get; set; } = "azureml://registries/azureml/environments/minimal-py311-inference/labels/latest";

    /// <summary>Per model, an environment id instead of <see cref="ScoringEnvironmentId"/>. Empty by default.</summary>
    public Dictionary<string, string> ScoringEnvironments { get; set; } = [];

    /// <summary>How long one scoring request may take (the deployments' <c>requestSettings.requestTimeout</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:03:00")]
    public TimeSpan ScoringTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a deployment's container may start before its liveness and readiness probes begin.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:30:00")]
    public TimeSpan ProbeInitialDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A deployment's <c>egressPublicNetworkAccess</c> (Enabled or Disabled), for workspaces without a managed
    /// network; unset (the default) leaves it out. With a workspace managed network, as the Bicep creates, Azure ML's
    /// docs say the workspace's outbound rules govern deployment egress and the flag must not be set.</summary>
    [RegularExpression("^(Enabled|Disabled)$", ErrorMessage = "AzureMl:DeploymentEgress is Enabled or Disabled")]
    public string? DeploymentEgress { get; set; }

    /// <summary>How long an activity waits for one ARM long-running operation (an endpoint's creation, a traffic change)
    /// before it fails (and is retried); a deployment's own provisioning is polled by the rollout between timers.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:04:00")]
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Path of the workspace's resource id (<c>W</c> in the REST reference).</summary>
    public string WorkspacePath =>
        $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{WorkspaceName}";
}
