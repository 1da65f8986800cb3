namespace GenAiServerless.Trainer;

/// <summary>A prompt taken from a test record and what the model wrote after it.</summary>
internal sealed record SampleGeneration(string Prompt, string Completion);

/// <summary>What <c>evaluate</c> writes to <c>&lt;out&gt;/metrics.json</c>.</summary>
internal sealed record EvaluationMetrics(double TestPerplexity, long TestTokens, IReadOnlyList<SampleGeneration> Samples);

/// <summary>Scores a trained model on the test split and shows a few of its generations.</summary>
internal sealed class EvaluateJob(string modelDirectory, string dataDirectory, string outDirectory, TextWriter log)
{
    private const int SampleCount = 3;
    private const int PromptWords = 3;
    private const int SampleTokens = 20;

    public EvaluationMetrics Run()
    {
        var model = NGramModel.Load(modelDirectory);
        var test = ShardReader.ReadTexts(dataDirectory, "test");
        if (test.Count == 0)
        {
            throw new TrainerInputException($"{dataDirectory}: no test records (no lines in test-*.jsonl)");
        }

        var perplexity = model.Evaluate(test);
        var samples = test
            .Select(text => Tokenizer.Tokenize(text).Take(PromptWords).ToList())
            .Where(words => words.Count > 0)
            .Take(SampleCount)
            .Select(words => Tokenizer.Detokenize(words))
            .Select((prompt, index) => new SampleGeneration(prompt, model.Generate(prompt, SampleTokens, seed: index + 1)))
            .ToList();
        var metrics = new EvaluationMetrics(perplexity.Perplexity, perplexity.Tokens, samples);
        Directory.CreateDirectory(outDirectory);
        AtomicFile.WriteJson(Path.Combine(outDirectory, "metrics.json"), metrics, TrainJob.MetricsJson);
        log.WriteLine($"test perplexity {perplexity.Perplexity:F3} over {perplexity.Tokens} tokens");
        foreach (var sample in samples)
        {
            log.WriteLine($"  {sample.Prompt} -> {sample.Completion}");
        }

        return metrics;
    }
}
