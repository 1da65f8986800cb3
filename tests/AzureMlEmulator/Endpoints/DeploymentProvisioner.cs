using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Assets;
using GenAiServerless.AzureMlEmulator.Control;
using GenAiServerless.AzureMlEmulator.Processes;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>Brings a deployment generation up as Azure ML does, in miniature: the storage initializer downloads the
/// model version's files and the code asset, then one scoring harness per instance (<c>sku.capacity</c>) runs the
/// scoring script's init(). Succeeded when every init() returned; Failed (ResourceNotReady, init()'s exception in the
/// message, its traceback in getLogs) when one raised, or when the model or code is missing.</summary>
/// <remarks>AZUREML_MODEL_DIR is the folder the model version's files are downloaded under, with the registered
/// folder's (or file's) name kept, as on Azure: a model registered from <c>…/paths/run1/model/</c> is read at
/// <c>$AZUREML_MODEL_DIR/model/…</c>.</remarks>
sealed partial class DeploymentProvisioner(EmulatorContext emulator, AssetRegistry assets, StorageLocations locations, ChildProcesses processes,
    FaultInjector faults, OperationStore operations, TimeProvider clock, ILogger<DeploymentProvisioner> logger)
{
    // Written once: two deployments provisioning at the same time must not both write (and run) a half-written file.
    readonly Lazy<string> harness = new(() => ScoringHarness.WriteScript(emulator.Folder("harness")), LazyThreadSafetyMode.ExecutionAndPublication);

    string Harness => harness.Value;

    public async Task ProvisionAsync(OnlineEndpoint endpoint, OnlineDeployment deployment, int generation, Operation operation)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(operation);
        var started = new List<ScoringHarness>();
        ArmError? error;
        DeploymentRuntime? runtime = null;
        try
        {
            await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
            (runtime, error) = await PrepareAsync(endpoint, deployment, generation);
            if (error is null && runtime is not null)
            {
                lock (deployment.Gate)
                {
                    deployment.Runtime = runtime;
                }

                (started, error) = await StartInstancesAsync(endpoint, deployment, runtime, deployment.Capacity);
            }
        }
        catch (Exception e) when (e is Azure.RequestFailedException or IOException or ArmException)
        {
            // the operation must end, Failed, whatever the storage initializer met
            error = new ArmError("ResourceNotReady", $"Downloading the model or code failed: {e.Message}");
        }

        ArmError? final = OperationStore.Outcome(operation, error);
        List<ScoringHarness> retired;
        lock (deployment.Gate)
        {
            deployment.Runtime = runtime ?? deployment.Runtime;
            deployment.Modified = clock.GetUtcNow();
            if (final is null)
            {
                retired = deployment.Instances;
                deployment.Instances = started;
                deployment.ProvisioningState = "Succeeded";
            }
            else
            {
                retired = started; // a failed update leaves the instances of the last good generation serving
                deployment.ProvisioningState = "Failed";
            }
        }

        foreach (ScoringHarness instance in retired)
        {
            await instance.DisposeAsync();
        }

        Log.Provisioned(logger, endpoint.Name, deployment.Name, generation, final?.Message ?? "Succeeded");
        operations.Finish(operation, error);
    }

    /// <summary>Scales the live generation to <paramref name="capacity"/> instances.</summary>
    public async Task ScaleAsync(OnlineEndpoint endpoint, OnlineDeployment deployment, int capacity, Operation operation)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(operation);
        await Task.Delay(emulator.Options.ProvisioningDelay, emulator.Stopping);
        DeploymentRuntime? runtime;
        int current;
        lock (deployment.Gate)
        {
            runtime = deployment.Runtime;
            current = deployment.Instances.Count;
        }

        ArmError? error = null;
        List<ScoringHarness> added = [];
        if (runtime is not null && capacity > current)
        {
            (added, error) = await StartInstancesAsync(endpoint, deployment, runtime, capacity - current);
        }

        ArmError? final = OperationStore.Outcome(operation, error);
        List<ScoringHarness> removed = [];
        lock (deployment.Gate)
        {
            if (final is null)
            {
                deployment.Instances.AddRange(added);
                while (deployment.Instances.Count > capacity)
                {
                    removed.Add(deployment.Instances[^1]);
                    deployment.Instances.RemoveAt(deployment.Instances.Count - 1);
                }

                deployment.ProvisioningState = "Succeeded";
            }
            else
            {
                removed = added;
                deployment.ProvisioningState = "Failed";
            }
        }

        foreach (ScoringHarness instance in removed)
        {
            await instance.DisposeAsync();
        }

        operations.Finish(operation, error);
    }

    async Task<(DeploymentRuntime? Runtime, ArmError? Error)> PrepareAsync(OnlineEndpoint endpoint, OnlineDeployment deployment, int generation)
    {
        string folder = emulator.Folder("deployments", endpoint.Name, deployment.Name, $"gen-{generation}");
        string modelRoot = emulator.Folder("deployments", endpoint.Name, deployment.Name, $"gen-{generation}", "model");
        string code = emulator.Folder("deployments", endpoint.Name, deployment.Name, $"gen-{generation}", "code");
        var storageLog = new List<string>();
        var runtimeOf = (string script) => new DeploymentRuntime(folder, modelRoot, code, script, Environment(deployment, modelRoot));
        try
        {
            System.Text.Json.Nodes.JsonObject properties = deployment.Properties;
            if (RequestBody.Text(properties, "model") is { } model)
            {
                if (assets.FindById(AssetKind.Models, model) is not { } registered)
                {
                    storageLog.Add($"Model '{model}' was not found.");
                    return (runtimeOf(""), ArmError.User($"Model '{model}' was not found: the deployment's model must be a registered model version.", "properties.model"));
                }

                (WorkspaceScope scope, _, AssetVersion version) = registered;

                BlobLocation location = locations.Resolve(scope, RequestBody.Text(version.Properties, "modelUri")!, "modelUri");
                storageLog.Add($"Downloading model {model} from {location.Uri}");
                int files = await BlobTransfer.DownloadFileAsync(location, Path.Combine(modelRoot, location.LastSegment), emulator.Stopping)
                    ? 1
                    : await BlobTransfer.DownloadFolderAsync(location, Path.Combine(modelRoot, location.LastSegment), emulator.Stopping);
                storageLog.Add($"Downloaded {files} model file(s) to AZUREML_MODEL_DIR/{location.LastSegment}");
            }

            System.Text.Json.Nodes.JsonObject? configuration = RequestBody.Object(properties, "codeConfiguration");
            string codeId = RequestBody.Text(configuration, "codeId")!;
            string script = RequestBody.Text(configuration, "scoringScript")!;
            if (assets.FindById(AssetKind.Codes, codeId) is not { } registeredCode)
            {
                storageLog.Add($"Code '{codeId}' was not found.");
                return (runtimeOf(""), ArmError.User($"Code '{codeId}' was not found.", "properties.codeConfiguration.codeId"));
            }

            (WorkspaceScope codeScope, _, AssetVersion codeVersion) = registeredCode;

            BlobLocation codeLocation = locations.Resolve(codeScope, RequestBody.Text(codeVersion.Properties, "codeUri")!, "codeUri");
            storageLog.Add($"Downloading code {codeId} from {codeLocation.Uri}");
            if (!await BlobTransfer.DownloadFileAsync(codeLocation, Path.Combine(code, codeLocation.LastSegment), emulator.Stopping))
            {
                await BlobTransfer.DownloadFolderAsync(codeLocation, code, emulator.Stopping);
            }

            string scriptPath = Path.GetFullPath(Path.Combine(code, script));
            if (!File.Exists(scriptPath))
            {
                storageLog.Add($"The scoring script '{script}' is not in the code asset.");
                return (runtimeOf(scriptPath), ArmError.User($"The scoring script '{script}' is not in code '{codeId}'.", "properties.codeConfiguration.scoringScript"));
            }

            storageLog.Add("Storage initializer done.");
            return (runtimeOf(scriptPath), null);
        }
        finally
        {
            await File.AppendAllLinesAsync(Path.Combine(folder, "storage-initializer.log"), storageLog);
        }
    }

    async Task<(List<ScoringHarness> Started, ArmError? Error)> StartInstancesAsync(OnlineEndpoint endpoint, OnlineDeployment deployment, DeploymentRuntime runtime, int count)
    {
        var started = new List<ScoringHarness>();
        for (int i = 0; i < count; i++)
        {
            string? error;
            if (faults.TakeProvisioningFailure(endpoint.Name, deployment.Name) is { } injected)
            {
                await File.AppendAllTextAsync(runtime.InferenceServerLog,
                    $"Traceback (most recent call last):\n  File \"{runtime.ScoringScript}\", in init\n{injected}\n");
                error = injected;
            }
            else
            {
                (ScoringHarness? instance, error) = await ScoringHarness.StartAsync(processes, emulator.Options.PythonPath, Harness, runtime.ScoringScript,
                    runtime.CodeDirectory, runtime.Environment, runtime.InferenceServerLog, emulator.Options.HarnessStartTimeout);
                if (instance is not null)
                {
                    started.Add(instance);
                }
            }

            if (error is not null)
            {
                foreach (ScoringHarness instance in started)
                {
                    await instance.DisposeAsync();
                }

                return ([], new ArmError("ResourceNotReady", $"User container has crashed or terminated: the scoring script's init() raised {error}. See the InferenceServer logs (getLogs)."));
            }
        }

        return (started, null);
    }

    static Dictionary<string, string?> Environment(OnlineDeployment deployment, string modelRoot)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach ((string name, System.Text.Json.Nodes.JsonNode? value) in RequestBody.Object(deployment.Properties, "environmentVariables") ?? [])
        {
            environment[name] = value?.ToString();
        }

        environment["AZUREML_MODEL_DIR"] = modelRoot;
        environment["PYTHONUNBUFFERED"] = "1";
        return environment;
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "deployment {Endpoint}/{Deployment} generation {Generation}: {Outcome}")]
        public static partial void Provisioned(ILogger logger, string endpoint, string deployment, int generation, string outcome);
    }
}
