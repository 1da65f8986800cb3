using Azure.Core.Pipeline;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Tests.Orchestrations.TestDoubles;

namespace GenAiServerless.Tests.Orchestrations.Platform.AzureMl;

/// <summary>What the Azure ML contract tests share: the workspace, the client over a <see cref="RecordingTransport"/>,
/// and a components folder to stand for the code asset.</summary>
internal static class ArmContract
{
    public const string W = "/subscriptions/sub-1/resourceGroups/rg-genai/providers/Microsoft.MachineLearningServices/workspaces/mlw-genai";

    public const string Arm = "https://management.azure.com";

    public const string ApiVersion = "api-version=2025-12-01";

    public static AzureMlOptions Options(string? compute = null) => new()
    {
        SubscriptionId = "sub-1",
        ResourceGroup = "rg-genai",
        WorkspaceName = "mlw-genai",
        Region = "eastus",
        ComputeName = compute,
        OperationTimeout = TimeSpan.FromSeconds(5),
    };

    /// <summary>The client over <paramref name="transport"/>, with no retries of its pipeline unless asked.</summary>
    public static AzureMlClient Client(RecordingTransport transport, AzureMlOptions? options = null, int retries = 0)
    {
        var clientOptions = new AzureMlClientOptions { Transport = transport };
        clientOptions.Retry.MaxRetries = retries;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(1);
        return new AzureMlClient(HttpPipelineBuilder.Build(clientOptions), options ?? Options(), TimeProvider.System);
    }

    /// <summary>A pipeline for scoring requests over <paramref name="transport"/>.</summary>
    public static HttpPipeline Scoring(RecordingTransport transport) =>
        HttpPipelineBuilder.Build(new AzureMlClientOptions { Transport = transport, Retry = { MaxRetries = 0 } });

    /// <summary>A components folder with one file, and its code asset's version as the content hash names it.</summary>
    public static (string Folder, string Version) ComponentsFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "genai-contract-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(folder, "ngram"));
        File.WriteAllText(Path.Combine(folder, "score.py"), "def init():\n    pass\n");
        File.WriteAllText(Path.Combine(folder, "ngram", "genai-trainer"), "#!/bin/sh\n");
        return (folder, AzureMlCodeAsset.Version(folder).Version);
    }

    /// <summary>An ARM error body.</summary>
    public static string Error(string code, string message) => $"{{\"error\":{{\"code\":\"{code}\",\"message\":\"{message}\"}}}}";

    /// <summary>Response headers naming an Azure-AsyncOperation status URI.</summary>
    public static Dictionary<string, string> AsyncOperation(string id) => new()
    {
        ["Azure-AsyncOperation"] = $"{Arm}/subscriptions/sub-1/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationsStatus/{id}?{ApiVersion}",
        ["Retry-After"] = "0",
    };

    /// <summary>Response headers naming a Location URI to poll.</summary>
    public static Dictionary<string, string> Location(string id) => new()
    {
        ["Location"] = $"{Arm}/subscriptions/sub-1/providers/Microsoft.MachineLearningServices/locations/eastus/mfeOperationResults/{id}?{ApiVersion}",
        ["Retry-After"] = "0",
    };
}
