using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>A prompt and what the model wrote after it.</summary>
internal sealed record SampleGeneration(string Prompt, string Completion);

/// <summary>What <c>evaluate</c> writes to <c>&lt;out&gt;/metrics.json</c>: perplexity (this family's own measure), bits
/// per byte per set (comparable across model families), the generations' p95 latency and a few samples.</summary>
internal sealed record EvaluationMetrics(
    double TestPerplexity,
    long TestTokens,
    double TestBitsPerByte,
    int TestExamples,
    long TestBytes,
    double? EvalBitsPerByte,
    int? EvalExamples,
    long? EvalBytes,
    double? GenerationP95LatencyMs,
    int Generations,
    IReadOnlyList<SampleGeneration> Samples);

/// <summary>
/// Scores a trained model under the evaluation contract: every example of the test split (and of the fixed
/// evaluation set, when given) in bits, written one per line to <c>examples.jsonl</c>
/// (<c>{"set","id","bytes","bits","bits_per_byte"}</c>), and a completion of every prompt with its latency to
/// <c>generations.jsonl</c> (<c>{"id","prompt","completion","latency_ms"}</c>). The PyTorch trainer writes the same files.
/// </summary>
internal sealed class EvaluateJob(string modelDirectory, string dataDirectory, string outDirectory, TextWriter log)
{
    private const int SamplePrompts = 3;
    private const int PromptWords = 3;
    private const int SampleTokens = 20;

    /// <summary>A folder of <c>*.jsonl</c> records: the model's fixed evaluation set, scored as set <c>eval</c>.</summary>
    public string? EvalSet { get; init; }

    /// <summary>A JSONL file, or a folder of them, of <c>{"id","prompt"}</c>; without it, prompts come from test records.</summary>
    public string? Prompts { get; init; }

    public EvaluationMetrics Run()
    {
        var model = NGramModel.Load(modelDirectory);
        var test = ShardReader.ReadRecords(dataDirectory, "test-*.jsonl");
        if (test.Count == 0)
        {
            throw new TrainerInputException($"{dataDirectory}: no test records (no lines in test-*.jsonl)");
        }

        IReadOnlyList<ShardRecord>? evalSet = null;
        if (EvalSet is not null)
        {
            evalSet = ShardReader.ReadRecords(EvalSet, "*.jsonl");
            if (evalSet.Count == 0)
            {
                throw new TrainerInputException($"{EvalSet}: the evaluation set is empty (no records in *.jsonl)");
            }
        }

        var perplexity = model.Evaluate(test.Select(record => record.Text));
        Directory.CreateDirectory(outDirectory);
        var rows = new List<ExampleRow>();
        var testTotals = Score(model, "test", test, rows);
        var evalTotals = evalSet is null ? default((double Bits, long Bytes)?) : Score(model, "eval", evalSet, rows);
        AtomicFile.Write(Path.Combine(outDirectory, "examples.jsonl"), stream => WriteLines(stream, rows));

        var prompts = Prompts is null ? PromptsFrom(test) : ReadPrompts(Prompts);
        var generations = new List<GenerationRow>(prompts.Count);
        for (var index = 0; index < prompts.Count; index++)
        {
            // Seeded by position, so the same prompts always get the same completions.
            var clock = Stopwatch.StartNew();
            var completion = model.Generate(prompts[index].Prompt, SampleTokens, seed: index + 1);
            generations.Add(new GenerationRow(prompts[index].Id, prompts[index].Prompt, completion, Math.Round(clock.Elapsed.TotalMilliseconds, 3)));
        }

        AtomicFile.Write(Path.Combine(outDirectory, "generations.jsonl"), stream => WriteLines(stream, generations));

        var latencies = generations.Select(g => g.LatencyMs).Order().ToList();
        var metrics = new EvaluationMetrics(
            perplexity.Perplexity,
            perplexity.Tokens,
            PerByte(testTotals),
            test.Count,
            testTotals.Bytes,
            evalTotals is { } e ? PerByte(e) : null,
            evalSet?.Count,
            evalTotals?.Bytes,
            latencies.Count == 0 ? null : latencies[Math.Max(0, (int)Math.Ceiling(0.95 * latencies.Count) - 1)],
            generations.Count,
            [.. generations.Take(SamplePrompts).Select(g => new SampleGeneration(g.Prompt, g.Completion))]);
        AtomicFile.WriteJson(Path.Combine(outDirectory, "metrics.json"), metrics, TrainJob.MetricsJson);
        log.WriteLine($"test perplexity {perplexity.Perplexity:F3} over {perplexity.Tokens} tokens; {metrics.TestBitsPerByte:F4} bits/byte over {test.Count} examples");
        if (metrics.EvalBitsPerByte is { } evalBits)
        {
            log.WriteLine($"eval set: {evalBits:F4} bits/byte over {evalSet!.Count} examples");
        }

        foreach (var sample in metrics.Samples)
        {
            log.WriteLine($"  {sample.Prompt} -> {sample.Completion}");
        }

        return metrics;
    }

    private static (double Bits, long Bytes) Score(NGramModel model, string set, IReadOnlyList<ShardRecord> records, List<ExampleRow> rows)
    {
        double totalBits = 0;
        long totalBytes = 0;
        foreach (var record in records)
        {
            var bits = model.Bits(record.Text);
            var bytes = Encoding.UTF8.GetByteCount(record.Text);
            // An empty text has no bytes to spread its end marker over: null says so instead of dividing by zero.
            rows.Add(new ExampleRow(set, record.Id, bytes, bits, bytes > 0 ? bits / bytes : null));
            totalBits += bits;
            totalBytes += bytes;
        }

        return (totalBits, totalBytes);
    }

    private static double PerByte((double Bits, long Bytes) totals) => totals.Bytes > 0 ? totals.Bits / totals.Bytes : double.NaN;

    private static List<PromptRow> PromptsFrom(IReadOnlyList<ShardRecord> test) =>
        [.. test
            .Select(record => (record.Id, Words: Tokenizer.Tokenize(record.Text).Take(PromptWords).ToList()))
            .Where(item => item.Words.Count > 0)
            .Take(SamplePrompts)
            .Select(item => new PromptRow(item.Id, Tokenizer.Detokenize(item.Words)))];

    private static List<PromptRow> ReadPrompts(string path)
    {
        string[] files = Directory.Exists(path)
            ? [.. Directory.GetFiles(path, "*.jsonl").Order(StringComparer.Ordinal)]
            : File.Exists(path) ? [path] : throw new TrainerInputException($"prompts '{path}' do not exist");
        var prompts = new List<PromptRow>();
        foreach (var file in files)
        {
            var lineNumber = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                try
                {
                    using var document = JsonDocument.Parse(line);
                    var root = document.RootElement;
                    if (root.ValueKind != JsonValueKind.Object
                        || !root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                        || !root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String)
                    {
                        throw new TrainerInputException($"{file}:{lineNumber}: expected {{\"id\": string, \"prompt\": string}}");
                    }

                    prompts.Add(new PromptRow(id.GetString()!, prompt.GetString()!));
                }
                catch (JsonException e)
                {
                    throw new TrainerInputException($"{file}:{lineNumber}: malformed JSON: {e.Message}", e);
                }
            }
        }

        return prompts;
    }

    private static void WriteLines<T>(Stream stream, IEnumerable<T> rows)
    {
        foreach (var row in rows)
        {
            JsonSerializer.Serialize(stream, row, TrainJob.LinesJson);
            stream.WriteByte((byte)'\n');
        }
    }

    private sealed record ExampleRow(string Set, string Id, long Bytes, double Bits, double? BitsPerByte);

    private sealed record GenerationRow(string Id, string Prompt, string Completion, double LatencyMs);

    private sealed record PromptRow(string Id, string Prompt);
}
