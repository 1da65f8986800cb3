using System.Diagnostics;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Demo;
using GenAiServerless.Local.Stack;
using GenAiServerless.Platform;
using GenAiServerless.Tests.Local.Stack;
using GenAiServerless.Triggers;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Tests.Local.Faults;

/// <summary>A stack of its own for the fault cases: its own supervised Azurite (the cases kill it, which the run's
/// shared Azurite must not suffer) and the real engine with the stack's own triggers on (the blob scanner is part of
/// what must survive). Short timers throughout.</summary>
public sealed class FaultStackFixture : IAsyncLifetime
{
    /// <summary>One model per case: a run a case leaves stuck holds only its own model's slot.</summary>
    public static readonly string[] Models = ["faultdata", "faulttrain", "faulttwice", "faultpair", "faultrace", "faultacked"];

    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"genai-faults-{Guid.NewGuid():N}");

    public AzuriteServer Azurite { get; private set; } = null!;

    public LocalPipelineHost Stack { get; private set; } = null!;

    public BlobContainerClient Incoming => new BlobServiceClient(Azurite.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming);

    public string SubmissionsLog => Path.Combine(Home, "stack", "jobs", "submissions.log");

    public async Task InitializeAsync()
    {
        // Down long enough (3 s before the restart) for the API to be seen answering 503.
        Azurite = await AzuriteServer.StartAsync(Path.Combine(Home, "azurite"), _ => { }, CancellationToken.None, restartDelay: TimeSpan.FromSeconds(3));
        Stack = await LocalPipelineHost.StartAsync(new LocalPipelineHostSettings
        {
            Home = Path.Combine(Home, "stack"),
            StorageConnectionString = Azurite.ConnectionString,
            TaskHub = "FaultTests",
            EnableTriggers = true,
            ConsoleLogLevel = LogLevel.Warning,
            Overrides = new Dictionary<string, string?>
            {
                ["Pipeline:Models:0"] = Models[0],
                ["Pipeline:Models:1"] = Models[1],
                ["Pipeline:Models:2"] = Models[2],
                ["Pipeline:Models:3"] = Models[3],
                ["Pipeline:Models:4"] = Models[4],
                ["Pipeline:Models:5"] = Models[5],
                ["Training:Hyperparameters:steps"] = "6",
                ["Training:Hyperparameters:step-delay-ms"] = "500",
                ["Training:PollInterval"] = "00:00:02",
                ["Training:MaxPollInterval"] = "00:00:02",
                ["Rollout:TrafficSteps:0"] = "100",
                ["Rollout:BakeTime"] = "00:00:00",
                ["Rollout:ReadinessPollInterval"] = "00:00:00.500",

                // Runs of one model follow each other here: each must pass the gate against the one before.
                ["Evaluation:Margin"] = "1.0",
                ["Rollout:Analysis:MaxQualityRegression"] = "1.0", // as lenient as the gate here
            },
        });
    }

    /// <summary>Uploads a drop for the model; the stack's blob scanner starts its run. Returns the run's id.</summary>
    public async Task<string> DropAsync(string model, string name, int records, int seed)
    {
        string blobName = $"{model}/{name}.jsonl";
        BlobContentInfo info = (await Incoming.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(SampleCorpus.Generate(records, seed)), overwrite: true)).Value;
        return InstanceIds.ForDrop(model, blobName, info.ETag.ToString());
    }

    /// <summary>Polls the run until it ends, through storage outages (a status read that fails is read again).</summary>
    public async Task<PipelineStatusView> WaitForEndAsync(string instanceId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            PipelineStatusView? view = null;
            try
            {
                view = await Stack.Starter.GetStatusAsync(instanceId, CancellationToken.None);
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or Azure.RequestFailedException or AggregateException)
            {
                // storage is down: the run is not, ask again
            }

            if (view is { RuntimeStatus: "Completed" or "Failed" or "Terminated" })
            {
                return view;
            }

            Assert.True(watch.Elapsed < timeout, $"{instanceId} did not end within {timeout} (last: {view?.RuntimeStatus ?? "unknown"})");
            await Task.Delay(250);
        }
    }

    /// <summary>Every training or evaluation attempt of the run, with how many times its process was started.</summary>
    public IReadOnlyDictionary<string, int> StartsOf(string instanceId) =>
        (File.Exists(SubmissionsLog) ? File.ReadAllLines(SubmissionsLog) : [])
            .Select(line => line.Split(' ')[1])
            .Where(job => job.StartsWith(instanceId + "-", StringComparison.Ordinal))
            .GroupBy(job => job, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }

        if (Azurite is not null)
        {
            await Azurite.DisposeAsync();
        }

        // GENAI_KEEP_FAULT_HOME=1 keeps the stack's folders (jobs, Azurite data) to look into after a failure.
        if (Environment.GetEnvironmentVariable("GENAI_KEEP_FAULT_HOME") is not null)
        {
            return;
        }

        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // a trainer may still write; the OS cleans temp
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FaultTestGroup : ICollectionFixture<FaultStackFixture>
{
    public const string Name = "faults";
}
