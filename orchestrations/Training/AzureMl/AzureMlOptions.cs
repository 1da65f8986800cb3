using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Training.AzureMl;

/// <summary>Where and how jobs run on Azure ML. Bound from <c>AzureMl</c>.</summary>
public sealed class AzureMlOptions
{
    [Required]
    public string SubscriptionId { get; set; } = string.Empty;

    [Required]
    public string ResourceGroup { get; set; } = string.Empty;

    [Required]
    public string WorkspaceName { get; set; } = string.Empty;

    /// <summary>Workspace region, for the MLflow tracking endpoint that serves job metrics.</summary>
    [Required]
    public string Region { get; set; } = string.Empty;

    /// <summary>A low-priority AmlCompute cluster; empty runs on serverless compute with <c>jobTier: Spot</c>.</summary>
    public string? ComputeName { get; set; }

    /// <summary>ARM api-version of Microsoft.MachineLearningServices (stable: 2025-12-01, 2025-09-01, …).</summary>
    public string ApiVersion { get; set; } = "2025-12-01";

    public Uri ManagementEndpoint { get; set; } = new("https://management.azure.com");

    [Required]
    public string EnvironmentId { get; set; } = "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest";

    /// <summary>The datastores that point at the pipeline's containers.</summary>
    public string CuratedDatastore { get; set; } = "curated";

    public string ModelsDatastore { get; set; } = "models";

    public string CheckpointsDatastore { get; set; } = "checkpoints";

    public string ExperimentName { get; set; } = "genai-pipeline";

    /// <summary>The job's maximum run time (ISO 8601 duration).</summary>
    public string Timeout { get; set; } = "PT12H";

    /// <summary>Path of <c>W</c> in the REST contract: the workspace's resource id.</summary>
    public string WorkspacePath =>
        $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{WorkspaceName}";
}
