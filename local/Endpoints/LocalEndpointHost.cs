using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Storage;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Rollout;
using GenAiServerless.Trainer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Local.Endpoints;

/// <summary>The local stand-in for Azure ML managed online endpoints: one endpoint per model, deployments that load a
/// registered version's files, and an exact weighted split (and mirror copies) between them, through the
/// <see cref="DeploymentRouter"/>. Served over Kestrel at <c>POST /endpoints/{model}/score</c> (header
/// <c>azureml-model-deployment</c> pins a deployment), with per-deployment metrics on <c>/metrics</c>.</summary>
/// <remarks>Endpoint state (deployments, traffic) is kept in blob storage, so a restarted stack serves what it served.</remarks>
public sealed partial class LocalEndpointHost(PipelineStorage storage, EndpointHostOptions options, DeploymentRouter router, ILogger<LocalEndpointHost> logger)
    : IEndpointHost, IDeploymentMetrics, IHostedService, IDisposable
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    readonly ConcurrentDictionary<string, EndpointRecord> endpoints = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, IServedModel> loaded = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    readonly CancellationTokenSource stopping = new();

    BlobContainerClient Container => storage.Container(PipelineStorage.Endpoints);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await foreach (BlobItem item in Container.GetBlobsAsync(cancellationToken: cancellationToken))
        {
            EndpointRecord record = (await Container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToObjectFromJson<EndpointRecord>(Json)!;
            record = record with { Mirror = record.Mirror ?? [] };
            endpoints[record.Name] = record;
            router.SetTraffic(record.Name, record.Traffic, record.Mirror);
            foreach (DeploymentRecord d in record.Deployments.Values.Where(d => d.State is DeploymentProvisioning.Succeeded or DeploymentProvisioning.Creating))
            {
                _ = Task.Run(() => ProvisionAsync(record.Name, d.Name), CancellationToken.None);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await stopping.CancelAsync();

    public void Dispose()
    {
        stopping.Dispose();
        foreach (string key in loaded.Keys)
        {
            if (loaded.TryRemove(key, out IServedModel? model))
            {
                model.Dispose();
            }
        }
    }

    public async Task CreateDeploymentAsync(DeploymentSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        await UpdateAsync(spec.Endpoint, record =>
        {
            if (!record.Deployments.ContainsKey(spec.Deployment))
            {
                record.Deployments[spec.Deployment] = new DeploymentRecord(spec.Deployment, spec.Model.Version, spec.Model.FilesPrefix, DeploymentProvisioning.Creating, "provisioning");
            }
        }, cancellationToken);
        if (!router.IsServing(spec.Endpoint, spec.Deployment))
        {
            _ = Task.Run(() => ProvisionAsync(spec.Endpoint, spec.Deployment), CancellationToken.None);
        }
    }

    public Task<EndpointInfo> GetEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        EndpointRecord record = endpoints.GetValueOrDefault(endpoint) ?? new EndpointRecord(endpoint, [], [], []);
        lock (record)
        {
            return Task.FromResult(new EndpointInfo(
                endpoint,
                record.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => Reported(endpoint, d)).ToList(),
                new Dictionary<string, int>(record.Traffic),
                new Dictionary<string, int>(record.Mirror ?? [])));
        }
    }

    /// <summary>A deployment as the rollout sees it: one whose model is not loaded in this process (restored after a
    /// restart, still loading) is <c>Creating</c>, whatever was persisted, because it cannot answer yet.</summary>
    DeploymentInfo Reported(string endpoint, DeploymentRecord d) =>
        d.State == DeploymentProvisioning.Succeeded && !loaded.ContainsKey(Key(endpoint, d.Name))
            ? new DeploymentInfo(d.Name, d.ModelVersion, DeploymentProvisioning.Creating, "loading its model")
            : new DeploymentInfo(d.Name, d.ModelVersion, d.State, d.Detail);

    public async Task SetTrafficAsync(TrafficSplit split, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(split);
        int total = split.Traffic.Values.Sum();
        if (split.Traffic.Count > 0 && total != 100)
        {
            throw new InvalidOperationException($"traffic for endpoint {split.Endpoint} must sum to 100, got {total}");
        }

        await UpdateAsync(split.Endpoint, record =>
        {
            // The persisted state decides here, not readiness in this process: a deployment that reloads its model after
            // a restart was provisioned, and a resumed rollout (or its compensation) may move traffic back onto it.
            foreach ((string name, int percent) in split.Traffic.Concat(split.Mirror ?? new Dictionary<string, int>()))
            {
                if (percent > 0 && (!record.Deployments.TryGetValue(name, out DeploymentRecord? d) || d.State != DeploymentProvisioning.Succeeded))
                {
                    throw new InvalidOperationException($"cannot send {percent}% of {split.Endpoint} to {name}: it is not a ready deployment");
                }
            }

            // The router validates the mirror shares and takes the new split before it is persisted.
            router.SetTraffic(split.Endpoint, split.Traffic, split.Mirror);
            record.Traffic.Clear();
            foreach ((string name, int percent) in split.Traffic.Where(t => t.Value > 0))
            {
                record.Traffic[name] = percent;
            }

            record.Mirror!.Clear();
            foreach ((string name, int percent) in (split.Mirror ?? new Dictionary<string, int>()).Where(t => t.Value > 0))
            {
                record.Mirror[name] = percent;
            }
        }, cancellationToken);
    }

    public Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? deployment, CancellationToken cancellationToken) =>
        router.ScoreAsync(endpoint, prompt, deployment, cancellationToken);

    /// <summary>The loss of a text on a loaded deployment's model, straight, past the router: the analysis's quality probe
    /// is not traffic, so it neither counts in the deployment's metrics nor meets its injected faults.</summary>
    public async Task<LossScore> ScoreLossAsync(string endpoint, string text, string deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!loaded.TryGetValue(Key(endpoint, deployment), out IServedModel? model))
        {
            throw new KeyNotFoundException($"endpoint '{endpoint}' has no deployment '{deployment}' with its model loaded");
        }

        TextLoss loss = await model.LossAsync(text, cancellationToken);
        return new LossScore(deployment, loss.Bits, loss.Bytes);
    }

    public Task<DeploymentMetrics> ReadAsync(MetricsQuery query, CancellationToken cancellationToken) => Task.FromResult(router.Read(query));

    /// <summary>Liveness and readiness of a deployment: null when the endpoint has no such deployment. Live unless its
    /// provisioning failed; ready when it serves requests.</summary>
    public (bool Live, bool Ready, string Detail)? Health(string endpoint, string deployment)
    {
        DeploymentRecord? d = endpoints.GetValueOrDefault(endpoint)?.Deployments.GetValueOrDefault(deployment);
        return d is null ? null : (d.State != DeploymentProvisioning.Failed, d.State == DeploymentProvisioning.Succeeded && router.IsServing(endpoint, deployment), d.Detail);
    }

    public async Task DeleteDeploymentAsync(DeploymentRef deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        await UpdateAsync(deployment.Endpoint, record =>
        {
            if (record.Traffic.GetValueOrDefault(deployment.Deployment) > 0)
            {
                throw new InvalidOperationException($"deployment {deployment.Deployment} still takes {record.Traffic[deployment.Deployment]}% of {deployment.Endpoint}; move its traffic first");
            }

            record.Deployments.Remove(deployment.Deployment);
            record.Mirror?.Remove(deployment.Deployment);
            router.Remove(deployment.Endpoint, deployment.Deployment);
        }, cancellationToken);
        if (loaded.TryRemove(Key(deployment.Endpoint, deployment.Deployment), out IServedModel? model))
        {
            model.Dispose();
        }
    }

    static string Key(string endpoint, string deployment) => $"{endpoint}/{deployment}";

    async Task ProvisionAsync(string endpoint, string deployment)
    {
        DeploymentRecord? d = endpoints.GetValueOrDefault(endpoint)?.Deployments.GetValueOrDefault(deployment);
        if (d is null)
        {
            return;
        }

        try
        {
            string dir = Path.Combine(options.Home, "endpoints", endpoint, deployment);
            Directory.CreateDirectory(dir);

            // A storage outage is waited out (the deployment stays Creating), not taken for a broken model.
            for (TimeSpan wait = TimeSpan.FromSeconds(1); ; wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
            {
                try
                {
                    await storage.DownloadTreeAsync(d.FilesPrefix, dir, stopping.Token);
                    break;
                }
                catch (Exception e) when (StorageFaults.IsUnreachable(e) && !stopping.IsCancellationRequested)
                {
                    Log.StorageUnreachable(logger, endpoint, deployment, wait, e.Message);
                    await Task.Delay(wait, stopping.Token);
                }
            }


            IServedModel model = await ServedModels.LoadAsync(dir, options, stopping.Token);
            try
            {
                // readiness probe: the model loads and generates
                _ = await model.CompleteAsync(options.ReadinessPrompt, 5, 1, options.Temperature, stopping.Token);
            }
            catch
            {
                model.Dispose();
                throw;
            }

            IServedModel? replaced = null;
            loaded.AddOrUpdate(Key(endpoint, deployment), model, (_, old) => { replaced = old; return model; });
            router.SetFault(endpoint, deployment, options.FaultFor(endpoint, deployment, d.ModelVersion));
            router.Add(endpoint, deployment, d.ModelVersion, async (prompt, cancellationToken) =>
            {
                string completion = await model.CompleteAsync(prompt, options.MaxTokens, Random.Shared.Next(), options.Temperature, cancellationToken);
                return new Generation(completion, completion.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
            });
            replaced?.Dispose();
            await SetStateAsync(endpoint, deployment, DeploymentProvisioning.Succeeded, "ready");
            Log.Ready(logger, endpoint, deployment, d.ModelVersion);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.ProvisionFailed(logger, endpoint, deployment, e.Message);
            await SetStateAsync(endpoint, deployment, DeploymentProvisioning.Failed, e.Message);
        }
    }

    Task SetStateAsync(string endpoint, string deployment, DeploymentProvisioning state, string detail) =>
        UpdateAsync(endpoint, record =>
        {
            if (record.Deployments.TryGetValue(deployment, out DeploymentRecord? d))
            {
                record.Deployments[deployment] = d with { State = state, Detail = detail };
            }
        }, CancellationToken.None);

    /// <summary>Applies a change to an endpoint under its lock and persists it.</summary>
    async Task UpdateAsync(string endpoint, Action<EndpointRecord> change, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = locks.GetOrAdd(endpoint, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            EndpointRecord record = endpoints.GetOrAdd(endpoint, name => new EndpointRecord(name, [], [], []));
            lock (record)
            {
                change(record);
            }

            string json;
            lock (record)
            {
                json = JsonSerializer.Serialize(record, Json);
            }

            await Container.GetBlobClient($"{endpoint}.json").UploadAsync(BinaryData.FromString(json), overwrite: true, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>An endpoint as persisted (records written before mirroring have no <paramref name="Mirror"/>).</summary>
    public sealed record EndpointRecord(string Name, Dictionary<string, DeploymentRecord> Deployments, Dictionary<string, int> Traffic, Dictionary<string, int>? Mirror);

    /// <summary>A deployment as persisted.</summary>
    public sealed record DeploymentRecord(string Name, int ModelVersion, string FilesPrefix, DeploymentProvisioning State, string Detail);

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Endpoint {Endpoint}: deployment {Deployment} (v{Version}) is ready")]
        public static partial void Ready(ILogger logger, string endpoint, string deployment, int version);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoint {Endpoint}: deployment {Deployment} waits for storage, retrying in {Wait}: {Reason}")]
        public static partial void StorageUnreachable(ILogger logger, string endpoint, string deployment, TimeSpan wait, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Endpoint {Endpoint}: deployment {Deployment} failed to provision: {Reason}")]
        public static partial void ProvisionFailed(ILogger logger, string endpoint, string deployment, string reason);
    }
}

/// <summary>Settings of the local endpoint host, bound from <c>LocalEndpoints</c>.</summary>
public sealed class EndpointHostOptions
{
    public string Home { get; set; } = ".genai";

    /// <summary>Fault injection, keyed <c>{endpoint}/{deployment}</c> or <c>{endpoint}/v{version}</c> (every deployment
    /// of that version), e.g. <c>LocalEndpoints:Faults:tinylm/v3:ErrorRate=0.2</c>. Empty unless configured.</summary>
    public Dictionary<string, DeploymentFault> Faults { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The configured fault of a deployment, by name first, then by version.</summary>
    public DeploymentFault? FaultFor(string endpoint, string deployment, int version) =>
        Faults.GetValueOrDefault($"{endpoint}/{deployment}") ?? Faults.GetValueOrDefault($"{endpoint}/v{version}");

    /// <summary>The first invalid fault setting, or null.</summary>
    public string? Problem() => Faults.Select(f => f.Value.Problem(f.Key)).FirstOrDefault(p => p is not null);

    public int MaxTokens { get; set; } = 24;

    public double Temperature { get; set; } = 0.8;

    public string ReadinessPrompt { get; set; } = "hello";

    /// <summary>The Python that serves PyTorch models (<c>python -m causal_lm serve</c>): the jobs' one,
    /// <see cref="Training.LocalJobOptions.Python"/>.</summary>
    public string Python { get; set; } = Training.LocalJobOptions.DefaultPython;

    /// <summary>The components folder (<c>Training:ComponentsFolder</c>), where <c>causal_lm/</c> is.</summary>
    public string ComponentsFolder { get; set; } = Path.Combine(AppContext.BaseDirectory, "components");

    /// <summary>How long a model server may take to load its model and say it is ready.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
