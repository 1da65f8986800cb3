using System.Text;
using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>One scoring request of <c>serve</c>: a prompt and how to complete it, or a text to score.</summary>
internal sealed record ServeRequest(string? Prompt, int? MaxTokens, int? Seed, double? Temperature, string? Text = null);

/// <summary><c>serve</c>: keeps one model loaded and completes prompts, one JSON request per line on stdin, one JSON answer
/// per line on stdout (<c>{"completion": …}</c> or <c>{"error": …}</c>); a request <c>{"text": …}</c> is answered with the
/// text's loss, <c>{"bits": …, "bytes": …}</c>, as <c>evaluate</c> writes it to <c>examples.jsonl</c>. What an online
/// deployment's scoring script talks to, so a request costs a generation, not a process start and a model load.</summary>
internal sealed class ServeJob(string modelDirectory, int maxTokens, double temperature, TextReader input, TextWriter output)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public void Run()
    {
        var model = NGramModel.Load(modelDirectory);
        output.WriteLine(JsonSerializer.Serialize(new { ready = true, order = model.Order, vocabulary = model.VocabularySize }, Json));
        output.Flush();
        while (input.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            object answer;
            try
            {
                ServeRequest request = JsonSerializer.Deserialize<ServeRequest>(line, Json) ?? throw new JsonException("the request is JSON null");
                answer = request is { Prompt: null, Text: { } text }
                    ? new { bits = model.Bits(text), bytes = (long)Encoding.UTF8.GetByteCount(text) }
                    : string.IsNullOrWhiteSpace(request.Prompt)
                    ? new { error = "field 'prompt' is missing or empty" }
                    : new
                    {
                        completion = model.Generate(
                            request.Prompt,
                            Math.Clamp(request.MaxTokens ?? maxTokens, 0, 1024),
                            request.Seed ?? Random.Shared.Next(),
                            request.Temperature is > 0 and var t ? t : temperature),
                    };
            }
            catch (JsonException e)
            {
                answer = new { error = $"not a valid request: {e.Message}" };
            }

            output.WriteLine(JsonSerializer.Serialize(answer, Json));
            output.Flush();
        }
    }
}
