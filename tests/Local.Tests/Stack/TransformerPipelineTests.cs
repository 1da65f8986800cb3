using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Demo;
using GenAiServerless.Tests.Local.Training;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Triggers;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>The transformer family through the whole local pipeline: the <c>causal-lm</c> component (PyTorch, under
/// <c>/usr/bin/python3</c>) trains with an injected eviction and resumes, the evaluation job scores it in bits per
/// byte on the eval set and prompts folders, the rollout serves it with <c>causal_lm serve</c>. Skipped, saying why,
/// where that Python cannot import torch.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class TransformerPipelineTests(StackFixture fixture)
{
    const string Model = StackFixture.TransformerModel;

    [SkippableFact]
    public async Task DataDrop_TransformerFamily_TrainsResumesEvaluatesAndServes()
    {
        Skip.If(JobsPython.WhyTorchIsMissing is not null, JobsPython.WhyTorchIsMissing);
        string blobName = $"{Model}/transformer.jsonl";
        string content = SampleCorpus.Generate(600, seed: 23);
        BlobClient blob = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(content), overwrite: true)).Value;

        TriggerOutcome started = await fixture.Stack.Starter.StartForDropAsync(Model, blobName, info.ETag.ToString(), System.Text.Encoding.UTF8.GetByteCount(content), CancellationToken.None);
        PipelineResult result = StackFixture.ResultOf(await fixture.WaitForEndAsync(started.InstanceId!, TimeSpan.FromMinutes(4)));

        Assert.True(result.Succeeded, result.Summary);
        Assert.All(result.Stages, s => Assert.Equal(StageState.Succeeded, s.State));

        // Training: the PyTorch trainer ran (its metrics), was evicted once and resumed from a checkpoint.
        Assert.NotNull(result.Training);
        Assert.Equal(2, result.Training!.Attempts);
        Assert.Equal(1, result.Training.Evictions);
        Assert.True(result.Training.Metrics["resumed_from_step"] > 0);
        Assert.Equal(30, result.Training.Metrics["steps"]);
        Assert.True(result.Training.Metrics["trainable_parameters"] > 0);
        Assert.InRange(result.Training.Metrics["validation_bits_per_byte"], 0.01, 8.5);

        // Evaluation: bits per byte on the test split and the eval set (the first run's test split), the safety
        // prompts generated for.
        Assert.NotNull(result.Gate);
        Assert.True(result.Gate!.Passed, result.Gate.Verdict);
        Assert.InRange(result.Gate.Challenger.TestBitsPerByte!.Value, 0.01, 8.0);
        Assert.NotNull(result.Gate.Challenger.EvalBitsPerByte);
        Assert.True(result.Gate.Challenger.Generations > 0);

        // Registry: the version holds the trainer's model folder.
        IModelRegistry registry = fixture.Stack.Services.GetRequiredService<IModelRegistry>();
        ModelVersionInfo? champion = await registry.GetAliasAsync(Model, "champion", CancellationToken.None);
        Assert.Equal(result.Version!.Version, champion!.Version);
        var files = new List<string>();
        (BlobContainerClient container, string prefix) = fixture.Stack.Services.GetRequiredService<PipelineStorage>().Locate(champion.FilesPrefix);
        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }))
        {
            files.Add(item.Name[prefix.Length..]);
        }

        Assert.Contains("config.json", files);
        Assert.Contains("model.pt", files);

        // Rollout: the endpoint answers from the new deployment, served by causal_lm serve.
        Assert.True(result.Rollout!.Succeeded);
        using var http = new HttpClient { BaseAddress = fixture.Stack.ApiBase };
        using HttpResponseMessage response = await http.PostAsJsonAsync($"endpoints/{Model}/score", new { prompt = "the model" });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(result.Rollout.Deployment, answer.RootElement.GetProperty("deployment").GetString());
        Assert.Equal(JsonValueKind.String, answer.RootElement.GetProperty("completion").ValueKind);
    }
}
