using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using GenAiServerless.Evaluation;
using GenAiServerless.Platform;
using GenAiServerless.Tests.Local.Stack;

namespace GenAiServerless.Tests.Local.Evaluation;

/// <summary>The model's fixed evaluation set on Azurite: created once from the first run's test split, and never a mix
/// of two runs' files, whatever stops a run half way.</summary>
public sealed class PrepareEvaluationSetTests
{
    static readonly EvaluationPolicy Policy = new(3, 0.05, 0, null, PromotionRule.NotWorse, 0.01, 0.95, 200, false, TimeSpan.FromMinutes(5));

    [Fact]
    public async Task RunAsync_FirstRunStoppedBeforeItsMarker_NextRunsSetHoldsOnlyItsOwnExamples()
    {
        string connection = (await SharedAzurite.GetAsync()).ConnectionString;
        PipelineStorage storage = Storage(connection, null);
        await storage.EnsureCreatedAsync();
        string model = $"evalset-{Guid.NewGuid():N}"[..16];
        string runA = await WriteSplitAsync(storage, model, "run-a", "alpha", files: 2);
        string runB = await WriteSplitAsync(storage, model, "run-b", "beta", files: 1);

        // Run A copies its files, then its activity dies before it writes the set's marker.
        var crashing = new PrepareEvaluationSet(Storage(connection, new FailingWrite($"/{model}/_evalset/{PrepareEvaluationSet.SourceFile}")));
        await Assert.ThrowsAnyAsync<Exception>(() => crashing.RunAsync(null!, new EvaluationSetRequest(model, "run-a", [runA], Policy)));

        // Run B, with other data, comes next: the set is B's test split, all of it and nothing else.
        EvaluationSet set = await new PrepareEvaluationSet(storage).RunAsync(null!, new EvaluationSetRequest(model, "run-b", [runB], Policy));

        Assert.Contains("run run-b", set.Source, StringComparison.Ordinal);
        Assert.Equal(["beta 0", "beta 1", "beta 2"], await TextsAsync(storage, set.EvalSetPrefix));
        Assert.Equal(3, set.EvalExamples);

        // Run A's retry finds the set made: it scores B's examples too, so the two runs compare.
        EvaluationSet again = await new PrepareEvaluationSet(storage).RunAsync(null!, new EvaluationSetRequest(model, "run-a", [runA], Policy));
        Assert.Equal(set.EvalSetPrefix, again.EvalSetPrefix);
        Assert.Equal(set.Source, again.Source);

        // and removes the copy it made before it stopped: nothing names it.
        Assert.Empty(storage.Container(PipelineStorage.Curated).GetBlobs(new GetBlobsOptions { Prefix = $"{model}/_evalset/run-a/" }));
        Assert.NotEmpty(storage.Container(PipelineStorage.Curated).GetBlobs(new GetBlobsOptions { Prefix = $"{model}/_evalset/run-b/" }));
    }

    [Fact]
    public async Task RunAsync_SetExists_EveryRunScoresTheSameExamples()
    {
        PipelineStorage storage = Storage((await SharedAzurite.GetAsync()).ConnectionString, null);
        await storage.EnsureCreatedAsync();
        string model = $"evalset-{Guid.NewGuid():N}"[..16];
        string runA = await WriteSplitAsync(storage, model, "run-a", "alpha", files: 2);
        string runB = await WriteSplitAsync(storage, model, "run-b", "beta", files: 1);

        EvaluationSet first = await new PrepareEvaluationSet(storage).RunAsync(null!, new EvaluationSetRequest(model, "run-a", [runA], Policy));
        EvaluationSet second = await new PrepareEvaluationSet(storage).RunAsync(null!, new EvaluationSetRequest(model, "run-b", [runB], Policy));

        Assert.Equal(first.EvalSetPrefix, second.EvalSetPrefix);
        Assert.Equal(["alpha 0", "alpha 1", "alpha 2", "alpha 3", "alpha 4", "alpha 5"], await TextsAsync(storage, second.EvalSetPrefix));
        Assert.Contains("run run-a", second.Source, StringComparison.Ordinal);
    }

    static PipelineStorage Storage(string connection, HttpPipelinePolicy? policy)
    {
        var options = new BlobClientOptions();
        if (policy is not null)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerCall);
        }

        return new PipelineStorage(new BlobServiceClient(connection, options), new QueueServiceClient(connection));
    }

    /// <summary>Writes a run's curated test split, three records a file; returns the dataset's prefix.</summary>
    static async Task<string> WriteSplitAsync(PipelineStorage storage, string model, string runId, string word, int files)
    {
        BlobContainerClient curated = storage.Container(PipelineStorage.Curated);
        for (int f = 0; f < files; f++)
        {
            string lines = string.Concat(Enumerable.Range(f * 3, 3).Select(i => $$"""{"id":"{{word}}-{{i}}","text":"{{word}} {{i}}"}""" + "\n"));
            await curated.GetBlobClient($"{model}/{runId}/test-{f:D5}.jsonl").UploadAsync(BinaryData.FromString(lines), overwrite: true);
        }

        return $"{PipelineStorage.Curated}/{model}/{runId}/";
    }

    /// <summary>The texts of the set's files, as an evaluation job reads them (every <c>*.jsonl</c> directly under the
    /// prefix), sorted.</summary>
    static async Task<List<string>> TextsAsync(PipelineStorage storage, string prefix)
    {
        (BlobContainerClient container, string path) = storage.Locate(prefix);
        var texts = new List<string>();
        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = path }))
        {
            if (item.Name.EndsWith(".jsonl", StringComparison.Ordinal) && !item.Name[path.Length..].Contains('/', StringComparison.Ordinal))
            {
                string content = (await container.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content.ToString();
                texts.AddRange(content.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                    .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!));
            }
        }

        return [.. texts.Order(StringComparer.Ordinal)];
    }

    /// <summary>Fails every PUT whose path ends with <paramref name="suffix"/>, as if the process died before it.</summary>
    sealed class FailingWrite(string suffix) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.Request.Method == RequestMethod.Put && message.Request.Uri.Path.EndsWith(suffix, StringComparison.Ordinal))
            {
                throw new IOException($"simulated crash before PUT {message.Request.Uri.Path}");
            }
        }
    }
}
