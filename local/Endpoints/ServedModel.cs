using GenAiServerless.Trainer;

namespace GenAiServerless.Local.Endpoints;

/// <summary>A deployment's loaded model, as the local endpoint host serves it: completes prompts until disposed.</summary>
public interface IServedModel : IDisposable
{
    /// <summary>The continuation of <paramref name="prompt"/>.</summary>
    /// <exception cref="InvalidOperationException">The model cannot answer (its server stopped, or refused the request).</exception>
    Task<string> CompleteAsync(string prompt, int maxTokens, int seed, double temperature, CancellationToken cancellationToken);

    /// <summary>The loss of <paramref name="text"/> as the model's evaluation job measures it (a row of
    /// <c>examples.jsonl</c>).</summary>
    /// <exception cref="InvalidOperationException">The model cannot answer.</exception>
    Task<TextLoss> LossAsync(string text, CancellationToken cancellationToken);
}

/// <summary>A text's loss: the bits of its tokens, end included (−log₂ p), and its UTF-8 bytes.</summary>
public readonly record struct TextLoss(double Bits, long Bytes);

/// <summary>Loads a registered model folder by its family's marker file: <c>model.json</c> is the n-gram trainer's,
/// <c>config.json</c> the PyTorch trainer's (as <c>score.py</c> tells them apart on Azure ML).</summary>
public static class ServedModels
{
    public static async Task<IServedModel> LoadAsync(string folder, EndpointHostOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (File.Exists(Path.Combine(folder, NGramModel.HeaderFileName)))
        {
            return new NGramServedModel(NGramModel.Load(folder));
        }

        if (File.Exists(Path.Combine(folder, "config.json")))
        {
            return await CausalLmServer.StartAsync(folder, options, cancellationToken);
        }

        throw new InvalidOperationException(
            $"{folder} holds no model: expected {NGramModel.HeaderFileName} (n-gram) or config.json (causal_lm); found {string.Join(", ", Directory.EnumerateFiles(folder).Select(Path.GetFileName))}");
    }
}

/// <summary>An n-gram model, in this process.</summary>
public sealed class NGramServedModel(NGramModel model) : IServedModel
{
    public Task<string> CompleteAsync(string prompt, int maxTokens, int seed, double temperature, CancellationToken cancellationToken) =>
        Task.FromResult(model.Generate(prompt, maxTokens, seed: seed, temperature: temperature));

    /// <summary>What <c>evaluate</c> writes for the text: <see cref="NGramModel.Bits"/> over its UTF-8 bytes.</summary>
    public Task<TextLoss> LossAsync(string text, CancellationToken cancellationToken) =>
        Task.FromResult(new TextLoss(model.Bits(text), System.Text.Encoding.UTF8.GetByteCount(text)));

    public void Dispose()
    {
    }
}
