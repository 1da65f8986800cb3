using System.Reflection;
using Azure.Storage.Blobs;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Triggers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerBlobTrigger = Microsoft.Azure.Functions.Worker.BlobTriggerAttribute;

namespace GenAiServerless.Tests.Functions.Triggers;

/// <summary>The blob trigger's path pattern, matched by the Functions host's own blob extension (the WebJobs
/// <c>BlobPathSource</c>, internal, reached by reflection), then split and started as on Azure.</summary>
public sealed class BlobDropBindingTests
{
    [Fact]
    public void WebJobsMatcher_ModelAndNamePattern_BindsModelGreedily()
    {
        // Why the trigger binds the whole name: every {parameter} becomes a greedy (.*), so the first one swallows slashes.
        IReadOnlyDictionary<string, object>? data = WebJobsBlobPattern.Match("incoming/{model}/{name}", "incoming", "tinylm/b1/part.jsonl");

        Assert.NotNull(data);
        Assert.Equal("tinylm/b1", data["model"]);
        Assert.Equal("part.jsonl", data["name"]);
    }

    [Theory]
    [InlineData("tinylm/b1/part.jsonl", "tinylm")]
    [InlineData("tinylm/b1/_SUCCESS", "tinylm")]
    [InlineData("tinylm/x.jsonl", "tinylm")]
    [InlineData("x.jsonl", DropPath.NoModel)]
    public void TriggerPattern_IncomingBlob_BindsWholeNameAndSplitsAtFirstSlash(string blobName, string model)
    {
        IReadOnlyDictionary<string, object>? data = WebJobsBlobPattern.Match(TriggerPattern(), PipelineStorage.Incoming, blobName);

        Assert.NotNull(data);
        string name = Assert.IsType<string>(data["name"]);
        Assert.Equal(blobName, name);
        Assert.Equal(new DropPath(model, blobName), DropPath.Parse(name));
    }

    [Fact]
    public void TriggerPattern_OtherContainer_DoesNotMatch()
    {
        Assert.Null(WebJobsBlobPattern.Match(TriggerPattern(), PipelineStorage.Curated, "tinylm/x.jsonl"));
    }

    [Fact]
    public async Task RunAsync_FolderDrop_PartsWaitAndMarkerStartsOneRunForTheModel()
    {
        var listing = new Dictionary<string, long>
        {
            ["tinylm/b1/part-0.jsonl"] = 10,
            ["tinylm/b1/part-1.jsonl"] = 20,
            ["tinylm/b1/_SUCCESS"] = 0,
        };
        using ServiceProvider services = ServicesWith(new FakeBlobListing(listing));
        var trigger = new BlobDropTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<BlobDropTrigger>.Instance);
        var client = new FakeDurableTaskClient { RememberScheduled = true };

        var outcomes = new List<TriggerOutcome>();
        foreach (string blobName in listing.Keys)
        {
            string name = (string)WebJobsBlobPattern.Match(TriggerPattern(), PipelineStorage.Incoming, blobName)!["name"];
            outcomes.Add(await trigger.RunAsync(new FakeBlobClient($"\"etag-{blobName}\"", listing[blobName]), name, client, CancellationToken.None));
        }

        Assert.Equal([TriggerOutcomeKind.Accepted, TriggerOutcomeKind.Accepted, TriggerOutcomeKind.Started], outcomes.Select(o => o.Kind));
        FakeDurableTaskClient.Scheduled run = Assert.Single(client.ScheduledInstances);
        PipelineRequest request = Assert.IsType<PipelineRequest>(run.Input);
        Assert.Equal(TestApp.Model, request.Model);
        Assert.Equal(["tinylm/b1/part-0.jsonl", "tinylm/b1/part-1.jsonl"], request.Drops.Select(d => d.BlobName));
    }

    [Theory]
    [InlineData("tinylm/_SUCCESS", 0)]
    [InlineData("tinylm/.DS_Store", 6148)]
    [InlineData("tinylm/.part-0.jsonl.crc", 12)]
    [InlineData("tinylm/_temporary/0/_SUCCESS", 0)]
    [InlineData("tinylm/.staging/b1/_SUCCESS", 0)]
    [InlineData(".DS_Store", 6148)]
    public async Task RunAsync_MarkerOrHiddenFile_IgnoredNotStartedNorQuarantined(string blobName, long length)
    {
        var listing = new Dictionary<string, long> { [blobName] = length, ["tinylm/_temporary/0/part-0.jsonl"] = 10, ["tinylm/.staging/b1/part-0.jsonl"] = 10 };
        using ServiceProvider services = ServicesWith(new FakeBlobListing(listing));
        var trigger = new BlobDropTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<BlobDropTrigger>.Instance);
        var client = new FakeDurableTaskClient { RememberScheduled = true };

        string name = (string)WebJobsBlobPattern.Match(TriggerPattern(), PipelineStorage.Incoming, blobName)!["name"];
        TriggerOutcome outcome = await trigger.RunAsync(new FakeBlobClient($"\"etag-{blobName}\"", length), name, client, CancellationToken.None);

        // Storage is unreachable here: a quarantine write would have failed the call.
        Assert.Equal(TriggerOutcomeKind.Accepted, outcome.Kind);
        Assert.Contains("ignored", outcome.Message, StringComparison.Ordinal);
        Assert.Empty(client.ScheduledInstances);
    }

    static string TriggerPattern() =>
        typeof(BlobDropTrigger).GetMethod(nameof(BlobDropTrigger.RunAsync))!.GetParameters()[0].GetCustomAttribute<WorkerBlobTrigger>()!.BlobPath;

    static ServiceProvider ServicesWith(BlobServiceClient blobs)
    {
        // The app's container, with the blob service (registered last, so it wins) answering listings.
        var collection = new ServiceCollection();
        IConfiguration configuration = TestApp.Configuration();
        collection.AddSingleton(configuration);
        collection.AddLogging();
        collection.AddGenAiFunctionsApp(configuration);
        collection.AddSingleton<BlobServiceClient>(blobs);
        return collection.BuildServiceProvider();
    }
}

/// <summary>The Functions host's blob path matcher (Microsoft.Azure.WebJobs.Extensions.Storage.Blobs): the code that
/// decides whether a blob fires a trigger and what its <c>{parameters}</c> bind to.</summary>
static class WebJobsBlobPattern
{
    static readonly Assembly Extension = typeof(Microsoft.Azure.WebJobs.BlobTriggerAttribute).Assembly;
    static readonly Type SourceType = Extension.GetType("Microsoft.Azure.WebJobs.Extensions.Storage.Blobs.BlobPathSource", throwOnError: true)!;
    static readonly Type PathType = Extension.GetType("Microsoft.Azure.WebJobs.Extensions.Storage.Blobs.BlobPath", throwOnError: true)!;

    /// <summary>The binding data the host makes for blob <paramref name="blobName"/> in <paramref name="container"/>
    /// under <paramref name="pattern"/>, or null when the blob does not match.</summary>
    public static IReadOnlyDictionary<string, object>? Match(string pattern, string container, string blobName)
    {
        object source = SourceType.GetMethod("Create", BindingFlags.Public | BindingFlags.Static)!.Invoke(null, [pattern])!;
        object path = Activator.CreateInstance(PathType, container, blobName)!;
        MethodInfo createBindingData = source.GetType().GetMethod("CreateBindingData", [PathType])!;
        return (IReadOnlyDictionary<string, object>?)createBindingData.Invoke(source, [path]);
    }
}
