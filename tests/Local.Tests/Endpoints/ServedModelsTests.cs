using GenAiServerless.Local.Endpoints;
using GenAiServerless.Tests.Local.Training;

namespace GenAiServerless.Tests.Local.Endpoints;

/// <summary>How the local endpoint host loads a registered version: by its family's marker file, and a PyTorch model
/// through <c>python -m causal_lm serve</c>, whose failures say why.</summary>
public sealed class ServedModelsTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("genai-served-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task LoadAsync_FolderWithoutModelMarker_ThrowsNamingWhatItFound()
    {
        File.WriteAllText(Path.Combine(folder, "weights.bin"), "x");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServedModels.LoadAsync(folder, new EndpointHostOptions(), CancellationToken.None));

        Assert.Contains("expected model.json (n-gram) or config.json (causal_lm)", e.Message, StringComparison.Ordinal);
        Assert.Contains("weights.bin", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_CausalLmWithoutPython_SaysWhichSettingToSet()
    {
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        var options = new EndpointHostOptions { Python = Path.Combine(folder, "no-such-python") };

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServedModels.LoadAsync(folder, options, CancellationToken.None));

        Assert.Contains("no-such-python", e.Message, StringComparison.Ordinal);
        Assert.Contains("LocalJobs:Python", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAsync_CausalLmWithoutComponents_NamesTheComponentsFolder()
    {
        File.WriteAllText(Path.Combine(folder, "config.json"), "{}");
        var options = new EndpointHostOptions { ComponentsFolder = Path.Combine(folder, "components") };

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServedModels.LoadAsync(folder, options, CancellationToken.None));

        Assert.Contains("Training:ComponentsFolder", e.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task LoadAsync_CausalLmBrokenModelFolder_FailsWithTheServersExitAndError()
    {
        Skip.If(JobsPython.WhyTorchIsMissing is not null, JobsPython.WhyTorchIsMissing);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"family": "mystery"}""");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ServedModels.LoadAsync(folder, new EndpointHostOptions(), CancellationToken.None));

        Assert.Contains("did not start (exit 1)", e.Message, StringComparison.Ordinal);
        Assert.Contains("not written by causal_lm", e.Message, StringComparison.Ordinal);
    }
}
