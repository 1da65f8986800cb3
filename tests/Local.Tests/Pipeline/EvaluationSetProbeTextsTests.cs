using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Evaluation;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Local.Stack;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Tests.Local.Pipeline;

/// <summary>The quality probe's texts on Azurite: the first records of the model's fixed evaluation set, in the order the
/// evaluation reads them; a configured set wins; a model with no set has none.</summary>
public sealed class EvaluationSetProbeTextsTests : IAsyncLifetime
{
    readonly string model = $"pt{Guid.NewGuid():N}"[..12];
    PipelineStorage storage = null!;

    public async Task InitializeAsync()
    {
        AzuriteServer azurite = await SharedAzurite.GetAsync();
        storage = new PipelineStorage(new BlobServiceClient(azurite.ConnectionString), new QueueServiceClient(azurite.ConnectionString));
        await storage.EnsureCreatedAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    async Task WriteAsync(string path, params string[] texts) =>
        await storage.Container(PipelineStorage.Curated).GetBlobClient(path).UploadAsync(
            BinaryData.FromString(string.Concat(texts.Select((t, i) => System.Text.Json.JsonSerializer.Serialize(new { id = $"r{i}", text = t }) + "\n"))), overwrite: true);

    async Task MarkAsync(string json) =>
        await storage.Container(PipelineStorage.Curated).GetBlobClient($"{model}/_evalset/source.json").UploadAsync(BinaryData.FromString(json), overwrite: true);

    /// <summary>The set is the folder the marker names (what the evaluation scores), not a run's unnamed half-written one.</summary>
    [Fact]
    public async Task ReadAsync_FixedSet_FirstTextsOfTheFolderTheMarkerNames()
    {
        await WriteAsync($"{model}/_evalset/run0/eval-000.jsonl", "a set a stopped run left");
        await WriteAsync($"{model}/_evalset/run1/eval-001.jsonl", "third", "fourth");
        await WriteAsync($"{model}/_evalset/run1/eval-000.jsonl", "first", " ", "second");
        await MarkAsync($$"""{"source":"the test split of run1","set":"curated/{{model}}/_evalset/run1/"}""");
        var texts = new EvaluationSetProbeTexts(storage, Options.Create(new EvaluationOptions()));

        QualityProbeTexts read = await texts.ReadAsync(model, 4, CancellationToken.None);

        Assert.Equal(["first", "second", "third"], read.Texts);
        Assert.Contains($"curated/{model}/_evalset/run1/", read.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_MarkerOfTheFirstLayout_FirstTextsInNameOrderWithoutEmptyOnes()
    {
        await WriteAsync($"{model}/_evalset/eval-001.jsonl", "third", "fourth");
        await WriteAsync($"{model}/_evalset/eval-000.jsonl", "first", " ", "second");
        await MarkAsync("""{"source":"an earlier run"}""");
        var texts = new EvaluationSetProbeTexts(storage, Options.Create(new EvaluationOptions()));

        QualityProbeTexts read = await texts.ReadAsync(model, 4, CancellationToken.None);
        QualityProbeTexts again = await texts.ReadAsync(model, 4, CancellationToken.None);
        QualityProbeTexts none = await texts.ReadAsync($"{model}x", 4, CancellationToken.None);

        Assert.Equal(["first", "second", "third"], read.Texts);
        Assert.Equal(read.Texts, again.Texts);
        Assert.Contains($"curated/{model}/_evalset/", read.Source, StringComparison.Ordinal);
        Assert.Empty(none.Texts);
    }

    [Fact]
    public async Task ReadAsync_ConfiguredSet_IsTheModelsSet()
    {
        await WriteAsync($"{model}/_evalset/eval-000.jsonl", "from the first run");
        await WriteAsync($"sets/{model}/a.jsonl", "configured one", "configured two");
        var options = new EvaluationOptions { Models = { [model] = new ModelEvaluationOptions { EvalSet = $"curated/sets/{model}" } } };

        QualityProbeTexts read = await new EvaluationSetProbeTexts(storage, Options.Create(options)).ReadAsync(model, 1, CancellationToken.None);

        Assert.Equal(["configured one"], read.Texts);
    }
}
