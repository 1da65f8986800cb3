using System.Diagnostics;
using System.Text.Json;
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

    [SkippableFact]
    public async Task LossAsync_CausalLm_TheBitsItsEvaluateWritesForTheText()
    {
        Skip.If(JobsPython.WhyTorchIsMissing is not null, JobsPython.WhyTorchIsMissing);
        var options = new EndpointHostOptions();
        string model = Path.Combine(folder, "model"), data = Path.Combine(folder, "data"), evalSet = Path.Combine(folder, "evalset"), output = Path.Combine(folder, "out");
        Directory.CreateDirectory(data);
        Directory.CreateDirectory(evalSet);
        // Past the 32-byte context, so both score it in windows.
        const string text = "Ünïcode ✓ and a text well past the thirty-two byte context of the model.";
        await File.WriteAllTextAsync(Path.Combine(data, "test-000.jsonl"), """{"id":"t","text":"a short test record"}""" + "\n");
        await File.WriteAllTextAsync(Path.Combine(evalSet, "e.jsonl"), JsonSerializer.Serialize(new { id = "probe", text }) + "\n");
        Python(options, "-c", "import sys, torch; from causal_lm import families; from causal_lm.settings import TrainSettings; torch.manual_seed(0); "
            + "families.save_folder(families.ScratchModel(TrainSettings(d_model=32, layers=1, heads=2, seq_len=32), torch.device('cpu')), sys.argv[1])", model);
        Python(options, "-m", "causal_lm", "evaluate", "--model", model, "--data", data, "--eval-set", evalSet, "--out", output, "--device", "cpu", "--sample-prompts", "0");
        JsonElement row = File.ReadAllLines(Path.Combine(output, "examples.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(r => r.GetProperty("id").GetString() == "probe");

        using IServedModel served = await ServedModels.LoadAsync(model, options, CancellationToken.None);
        TextLoss loss = await served.LossAsync(text, CancellationToken.None);

        Assert.Equal(row.GetProperty("bytes").GetInt64(), loss.Bytes);
        Assert.Equal(row.GetProperty("bits").GetDouble(), loss.Bits, 1e-6 * loss.Bits);
    }

    static void Python(EndpointHostOptions options, params string[] args)
    {
        var psi = new ProcessStartInfo(options.Python, args) { WorkingDirectory = options.ComponentsFolder, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using Process process = Process.Start(psi)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', args)}: {stderr}");
    }
}
