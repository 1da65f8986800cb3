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
/// registered version's files, and weighted traffic between them. Served over Kestrel at
/// <c>POST /endpoints/{model}/score</c> (header <c>azureml-model-deployment</c> pins a deployment).</summary>
/// <remarks>Endpoint state (deployments, traffic) is kept in blob storage, so a restarted stack serves what it served.</remarks>
public sealed partial class LocalEndpointHost(PipelineStorage storage, EndpointHostOptions options, ILogger<LocalEndpointHost> logger) : IEndpointHost, IHostedService, IDisposable
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    readonly ConcurrentDictionary<string, EndpointRecord> endpoints = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, NGramModel> loaded = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    readonly CancellationTokenSource stopping = new();

    BlobContainerClient Container => storage.Container(PipelineStorage.Endpoints);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await foreach (BlobItem item in Container.GetBlobsAsync(cancellationToken: cancellationToken))
        {
            EndpointRecord record = (await Container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken)).Value.Content.ToObjectFromJson<EndpointRecord>(Json)!;
            endpoints[record.Name] = record;
            foreach (DeploymentRecord d in record.Deployments.Values.Where(d => d.State is DeploymentProvisioning.Succeeded or DeploymentProvisioning.Creating))
            {
                _ = Task.Run(() => ProvisionAsync(record.Name, d.Name), CancellationToken.None);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await stopping.CancelAsync();

    public void Dispose() => stopping.Dispose();

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
        if (!loaded.ContainsKey(Key(spec.Endpoint, spec.Deployment)))
        {
            _ = Task.Run(() => ProvisionAsync(spec.Endpoint, spec.Deployment), CancellationToken.None);
        }
    }

    public Task<EndpointInfo> GetEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        EndpointRecord record = endpoints.GetValueOrDefault(endpoint) ?? new EndpointRecord(endpoint, [], []);
        lock (record)
        {
            return Task.FromResult(new EndpointInfo(
                endpoint,
                record.Deployments.Values.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => Reported(endpoint, d)).ToList(),
                new Dictionary<string, int>(record.Traffic)));
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
        if (split.Mirror is { Count: > 0 })
        {
            throw new NotSupportedException($"endpoint {split.Endpoint}: the local endpoint host does not mirror traffic");
        }

        int total = split.Traffic.Values.Sum();
        if (split.Traffic.Count > 0 && total != 100)
        {
            throw new InvalidOperationException($"traffic for endpoint {split.Endpoint} must sum to 100, got {total}");
        }

        await UpdateAsync(split.Endpoint, record =>
        {
            // The persisted state decides here, not readiness in this process: a deployment that reloads its model after
            // a restart was provisioned, and a resumed rollout (or its compensation) may move traffic back onto it.
            foreach ((string name, int percent) in split.Traffic)
            {
                if (percent > 0 && (!record.Deployments.TryGetValue(name, out DeploymentRecord? d) || d.State != DeploymentProvisioning.Succeeded))
                {
                    throw new InvalidOperationException($"cannot send {percent}% of {split.Endpoint} to {name}: it is not a ready deployment");
                }
            }

            record.Traffic.Clear();
            foreach ((string name, int percent) in split.Traffic.Where(t => t.Value > 0))
            {
                record.Traffic[name] = percent;
            }
        }, cancellationToken);
    }

    public Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? deployment, CancellationToken cancellationToken)
    {
        if (!endpoints.TryGetValue(endpoint, out EndpointRecord? record))
        {
            throw new KeyNotFoundException($"no endpoint '{endpoint}'");
        }

        string name;
        lock (record)
        {
            if (deployment is not null)
            {
                name = record.Deployments.ContainsKey(deployment) ? deployment : throw new KeyNotFoundException($"endpoint '{endpoint}' has no deployment '{deployment}'");
            }
            else
            {
                if (record.Traffic.Count == 0)
                {
                    throw new InvalidOperationException($"endpoint '{endpoint}' has no deployment taking traffic");
                }

                int roll = Random.Shared.Next(100);
                name = record.Traffic.OrderBy(t => t.Key, StringComparer.Ordinal).SkipWhile(t => (roll -= t.Value) >= 0).Select(t => t.Key).FirstOrDefault()
                    ?? record.Traffic.Keys.First();
            }
        }

        if (!loaded.TryGetValue(Key(endpoint, name), out NGramModel? model))
        {
            throw new InvalidOperationException($"deployment '{name}' of '{endpoint}' is not ready");
        }

        string completion = model.Generate(prompt, options.MaxTokens, seed: Random.Shared.Next(), temperature: options.Temperature);
        return Task.FromResult(new ScoreResult(name, completion));
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
        }, cancellationToken);
        loaded.TryRemove(Key(deployment.Endpoint, deployment.Deployment), out _);
    }

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

            NGramModel model = NGramModel.Load(dir);
            _ = model.Generate(options.ReadinessPrompt, 5, seed: 1); // readiness probe: the model loads and generates
            loaded[Key(endpoint, deployment)] = model;
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
            EndpointRecord record = endpoints.GetOrAdd(endpoint, name => new EndpointRecord(name, [], []));
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

    static string Key(string endpoint, string deployment) => $"{endpoint}/{deployment}";

    /// <summary>An endpoint as persisted.</summary>
    public sealed record EndpointRecord(string Name, Dictionary<string, DeploymentRecord> Deployments, Dictionary<string, int> Traffic);

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

/// <summary>Settings of the local endpoint host.</summary>
public sealed class EndpointHostOptions
{
    public string Home { get; set; } = ".genai";

    public int MaxTokens { get; set; } = 24;

    public double Temperature { get; set; } = 0.8;

    public string ReadinessPrompt { get; set; } = "hello";
}
