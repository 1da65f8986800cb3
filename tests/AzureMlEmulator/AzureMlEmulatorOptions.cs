using GenAiServerless.AzureMlEmulator.Jobs;

namespace GenAiServerless.AzureMlEmulator;

/// <summary>How an emulator instance starts: its storage, port and token, and the delays that stand in for Azure's.
/// Bound from the command line by <c>Program</c> (<c>--storage</c>, <c>--port</c>, <c>--token</c>, or any property as
/// <c>--Name value</c>).</summary>
public sealed class AzureMlEmulatorOptions
{
    /// <summary>Required. Connection string of the storage account (Azurite) every datastore maps to.</summary>
    public string StorageConnectionString { get; set; } = "";

    /// <summary>Optional. The loopback port to listen on; 0 lets the OS choose.</summary>
    public int Port { get; set; }

    /// <summary>Optional. The bearer token ARM calls must carry; a random one when empty.</summary>
    public string? BearerToken { get; set; }

    /// <summary>Optional. The container the default datastore <c>workspaceblobstore</c> maps to.</summary>
    public string DefaultBlobContainer { get; set; } = "azureml-blobstore";

    /// <summary>Optional. The region named in operation URLs.</summary>
    public string Location { get; set; } = "eastus";

    /// <summary>Optional. The tenant named in 401 challenges and system-assigned identities.</summary>
    public string TenantId { get; set; } = "72f988bf-0000-0000-0000-00000000e111";

    /// <summary>Optional. The python that jobs' <c>python</c>/<c>python3</c> shims and the scoring harness run (the
    /// curated images' python; Debian's carries torch here).</summary>
    public string PythonPath { get; set; } = "/usr/bin/python3";

    /// <summary>Optional. Root of everything on disk; a fresh temp folder when empty. Deleted on dispose.</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>Optional. Compute names present in every workspace, with their vmPriority (Dedicated or LowPriority).</summary>
    public IDictionary<string, string> Computes { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Optional. The Retry-After of long-running operations (whole seconds; ARM's own minimum is 10).</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Optional. How long endpoint, deployment and compute operations take before they end.</summary>
    public TimeSpan ProvisioningDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Optional. How long a new job stays Queued before Preparing.</summary>
    public TimeSpan JobQueueTime { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Optional. How long a preempted, requeued job stays Queued before it runs again.</summary>
    public TimeSpan PreemptedQueueTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Optional. How long a scoring script's init() may take.</summary>
    public TimeSpan HarnessStartTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Optional, emulator-only. The metric bucket that stands in for PT1M (Azure's only time grain for these
    /// metrics), so that tests can read fresh buckets without waiting a minute.</summary>
    public TimeSpan MetricsTimeGrain { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Optional, emulator-only. Preempt running low-priority jobs at a progress (also settable through the
    /// control API).</summary>
    public AutoPreemptionOptions? AutoPreemption { get; set; }

    /// <summary>Optional. How often progress.json files are read for automatic preemption.</summary>
    public TimeSpan ProgressPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Optional. The emulator's own console log level.</summary>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Throws, naming the setting, when a required one is missing or a value is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(StorageConnectionString))
        {
            throw new InvalidOperationException($"{nameof(AzureMlEmulatorOptions)}.{nameof(StorageConnectionString)} is required (--storage \"<connection string>\").");
        }

        if (Port is < 0 or > 65535)
        {
            throw new InvalidOperationException($"{nameof(AzureMlEmulatorOptions)}.{nameof(Port)} must lie in 0..65535, not {Port}.");
        }

        if (MetricsTimeGrain < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"{nameof(AzureMlEmulatorOptions)}.{nameof(MetricsTimeGrain)} must be at least one second.");
        }

        if (!File.Exists(PythonPath))
        {
            throw new InvalidOperationException($"{nameof(AzureMlEmulatorOptions)}.{nameof(PythonPath)}: '{PythonPath}' does not exist.");
        }
    }
}
