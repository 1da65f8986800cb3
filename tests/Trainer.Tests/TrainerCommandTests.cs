using System.Text.Json;
using GenAiServerless.Trainer;

namespace GenAiServerless.Tests.Trainer;

public sealed class TrainerCommandTests : IDisposable
{
    private readonly TempDirectory temp = new();

    public TrainerCommandTests() => TrainingCorpus.WriteShards(Data);

    private string Data => temp.Sub("data");

    private string Out => temp.Sub("out");

    private string Checkpoints => temp.Sub("checkpoints");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Train_ValidData_WritesModelMetricsAndProgress()
    {
        var run = TrainerRun.Train(Data, Out, Checkpoints, "--steps", "5", "--checkpoint-every", "2");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("step 5/5", run.Stdout, StringComparison.Ordinal);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(Out, "metrics.json")));
        var root = metrics.RootElement;
        Assert.InRange(root.GetProperty("validation_perplexity").GetDouble(), 1.0, 10.0);
        Assert.True(root.GetProperty("train_tokens").GetInt64() > 10_000);
        Assert.True(root.GetProperty("vocabulary_size").GetInt32() > 20);
        Assert.Equal(3, root.GetProperty("order").GetInt32());
        Assert.Equal(5, root.GetProperty("steps").GetInt32());
        Assert.Equal(0, root.GetProperty("resumed_from_step").GetInt32());
        Assert.True(File.Exists(Path.Combine(Out, NGramModel.HeaderFileName)));
        Assert.True(File.Exists(Path.Combine(Checkpoints, "checkpoint.bin")));
        Assert.Equal("""{"step":5,"totalSteps":5}""", File.ReadAllText(Path.Combine(Checkpoints, "progress.json")));
        Assert.Empty(Directory.GetFiles(Checkpoints, "*.tmp"));
    }

    [Fact]
    public void Train_DifferentStepCountsAndSeeds_WriteTheSameModel()
    {
        var one = TrainerRun.Train(Data, temp.Sub("one"), temp.Sub("ck-one"), "--steps", "1");
        var seven = TrainerRun.Train(Data, temp.Sub("seven"), temp.Sub("ck-seven"), "--steps", "7", "--seed", "5");

        Assert.Equal(0, one.ExitCode);
        Assert.Equal(0, seven.ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(temp.Sub("one"), "model.bin")), File.ReadAllBytes(Path.Combine(temp.Sub("seven"), "model.bin")));
    }

    [Fact]
    public void Train_HigherOrder_FitsTheGrammarAtLeastAsWell()
    {
        var bigram = TrainerRun.Train(Data, temp.Sub("bigram"), temp.Sub("ck2"), "--order", "2", "--steps", "2");
        var fourgram = TrainerRun.Train(Data, temp.Sub("fourgram"), temp.Sub("ck4"), "--order", "4", "--steps", "2");

        Assert.Equal(0, bigram.ExitCode);
        Assert.Equal(0, fourgram.ExitCode);
        Assert.True(ValidationPerplexity(temp.Sub("fourgram")) < ValidationPerplexity(temp.Sub("bigram")));
    }

    [Fact]
    public void Evaluate_TrainedModel_WritesTestPerplexityAndSamples()
    {
        Assert.Equal(0, TrainerRun.Train(Data, Out, Checkpoints, "--steps", "2").ExitCode);

        var run = TrainerRun.Of("evaluate", "--model", Out, "--data", Data, "--out", temp.Sub("eval"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Sub("eval"), "metrics.json")));
        var root = metrics.RootElement;
        Assert.InRange(root.GetProperty("test_perplexity").GetDouble(), 1.0, 10.0);
        Assert.True(root.GetProperty("test_tokens").GetInt64() > 1000);
        var samples = root.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal(3, samples.Count);
        Assert.All(samples, s => Assert.NotEmpty(s.GetProperty("prompt").GetString()!));
        Assert.All(samples, s => Assert.NotEmpty(s.GetProperty("completion").GetString()!));
    }

    [Fact]
    public async Task Serve_TextRequest_AnswersTheBitsEvaluateWritesForThatText()
    {
        Assert.Equal(0, TrainerRun.Train(Data, Out, Checkpoints, "--steps", "2").ExitCode);
        var evalSet = temp.Sub("evalset");
        Directory.CreateDirectory(evalSet);
        const string text = "a dog runs past ünïcode ✓";
        File.WriteAllLines(Path.Combine(evalSet, "part-0.jsonl"), [JsonSerializer.Serialize(new { id = "e1", text })]);
        Assert.Equal(0, TrainerRun.Of("evaluate", "--model", Out, "--data", Data, "--eval-set", evalSet, "--out", temp.Sub("eval")).ExitCode);
        var row = File.ReadAllLines(Path.Combine(temp.Sub("eval"), "examples.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(e => e.GetProperty("id").GetString() == "e1");

        var start = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new System.Text.UTF8Encoding(false),
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        foreach (var arg in new[] { typeof(TrainerCommand).Assembly.Location, "serve", "--model", Out })
        {
            start.ArgumentList.Add(arg);
        }

        using var serve = System.Diagnostics.Process.Start(start)!;
        await serve.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { text }));
        await serve.StandardInput.WriteLineAsync("""{"text":""}""");
        serve.StandardInput.Close();
        var lines = (await serve.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await serve.WaitForExitAsync();

        Assert.Equal(3, lines.Length);
        using var answer = JsonDocument.Parse(lines[1]);
        Assert.Equal(row.GetProperty("bytes").GetInt64(), answer.RootElement.GetProperty("bytes").GetInt64());
        Assert.Equal(row.GetProperty("bits").GetDouble(), answer.RootElement.GetProperty("bits").GetDouble(), 9);
        using var empty = JsonDocument.Parse(lines[2]);
        Assert.Equal(0, empty.RootElement.GetProperty("bytes").GetInt64());
        Assert.True(empty.RootElement.GetProperty("bits").GetDouble() > 0, "the end marker of an empty text has bits");
    }

    [Fact]
    public void Evaluate_EvalSetAndPrompts_ScoresEveryExampleInBitsAndCompletesEveryPrompt()
    {
        Assert.Equal(0, TrainerRun.Train(Data, Out, Checkpoints, "--steps", "2").ExitCode);
        var evalSet = temp.Sub("evalset");
        Directory.CreateDirectory(evalSet);
        File.WriteAllLines(Path.Combine(evalSet, "part-0.jsonl"), ["""{"id":"e1","text":"a dog runs"}""", """{"id":"e2","text":"the cat"}"""]);
        var prompts = temp.Sub("prompts");
        Directory.CreateDirectory(prompts);
        File.WriteAllLines(Path.Combine(prompts, "prompts.jsonl"), ["""{"id":"p1","prompt":"a dog"}""", "", """{"id":"p2","prompt":"the"}"""]);

        var run = TrainerRun.Of("evaluate", "--model", Out, "--data", Data, "--eval-set", evalSet, "--prompts", prompts, "--out", temp.Sub("eval"));

        Assert.True(run.ExitCode == 0, run.Stderr);
        var model = NGramModel.Load(Out);
        var examples = File.ReadAllLines(Path.Combine(temp.Sub("eval"), "examples.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var testLines = Directory.GetFiles(Data, "test-*.jsonl").Sum(f => File.ReadAllLines(f).Count(l => l.Length > 0));
        Assert.Equal(testLines, examples.Count(e => e.GetProperty("set").GetString() == "test"));
        var e1 = Assert.Single(examples, e => e.GetProperty("id").GetString() == "e1");
        Assert.Equal("eval", e1.GetProperty("set").GetString());
        Assert.Equal(10, e1.GetProperty("bytes").GetInt64());
        Assert.Equal(model.Bits("a dog runs"), e1.GetProperty("bits").GetDouble(), 9);
        Assert.Equal(model.Bits("a dog runs") / 10, e1.GetProperty("bits_per_byte").GetDouble(), 9);
        var generations = File.ReadAllLines(Path.Combine(temp.Sub("eval"), "generations.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["p1", "p2"], generations.Select(g => g.GetProperty("id").GetString()));
        Assert.Equal(model.Generate("a dog", 20, 1), generations[0].GetProperty("completion").GetString());
        Assert.All(generations, g => Assert.True(g.GetProperty("latency_ms").GetDouble() >= 0));
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.Sub("eval"), "metrics.json")));
        Assert.Equal(2, metrics.RootElement.GetProperty("eval_examples").GetInt32());
        Assert.InRange(metrics.RootElement.GetProperty("test_bits_per_byte").GetDouble(), 0.01, 8.0);
    }

    [Fact]
    public void Evaluate_MalformedPromptLine_FailsNamingFileAndLine()
    {
        Assert.Equal(0, TrainerRun.Train(Data, Out, Checkpoints, "--steps", "2").ExitCode);
        var prompts = Path.Combine(temp.Sub("p"), "prompts.jsonl");
        Directory.CreateDirectory(temp.Sub("p"));
        File.WriteAllLines(prompts, ["""{"id":"p1","prompt":"a dog"}""", """{"id":"p2","prompt":3}"""]);

        var run = TrainerRun.Of("evaluate", "--model", Out, "--data", Data, "--prompts", prompts, "--out", temp.Sub("eval"));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("prompts.jsonl:2", run.Stderr);
    }

    [Fact]
    public void Generate_TrainedModel_PrintsTheLibraryCompletion()
    {
        Assert.Equal(0, TrainerRun.Train(Data, Out, Checkpoints, "--steps", "2").ExitCode);

        var run = TrainerRun.Of("generate", "--model", Out, "--prompt", "a dog", "--seed", "3", "--max-tokens", "12", "--temperature", "0.8");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(NGramModel.Load(Out).Generate("a dog", 12, 3, 0.8), run.Stdout.TrimEnd('\n', '\r'));
    }

    [Fact]
    public void Train_MalformedJsonLine_FailsNamingFileAndLine()
    {
        var shard = Path.Combine(Data, "train-00001.jsonl");
        var lines = File.ReadAllLines(shard).ToList();
        lines.Insert(4, """{"id":"broken","text":"no closing brace" """);
        File.WriteAllLines(shard, lines);

        var run = TrainerRun.Train(Data, Out, Checkpoints);

        Assert.Equal(TrainerCommand.Failed, run.ExitCode);
        Assert.Contains("train-00001.jsonl:5", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Out, "model.json")));
    }

    [Fact]
    public void Train_RecordWithoutText_FailsNamingRecordAndField()
    {
        File.AppendAllText(Path.Combine(Data, "train-00002.jsonl"), """{"id":"r-77","body":"text is elsewhere"}""" + "\n");

        var run = TrainerRun.Train(Data, Out, Checkpoints);

        Assert.Equal(TrainerCommand.Failed, run.ExitCode);
        Assert.Contains("train-00002.jsonl:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("r-77", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("'text'", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_MissingDataDirectory_FailsNamingIt()
    {
        var run = TrainerRun.Train(temp.Sub("absent"), Out, Checkpoints);

        Assert.Equal(TrainerCommand.Failed, run.ExitCode);
        Assert.Contains(temp.Sub("absent"), run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_NoTrainingRecords_Fails()
    {
        foreach (var shard in Directory.GetFiles(Data, "train-*.jsonl"))
        {
            File.Delete(shard);
        }

        var run = TrainerRun.Train(Data, Out, Checkpoints);

        Assert.Equal(TrainerCommand.Failed, run.ExitCode);
        Assert.Contains("no training records", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_CheckpointFromOtherSettings_FailsNamingCheckpoint()
    {
        Assert.Equal(0, TrainerRun.Train(Data, Out, Checkpoints, "--steps", "3").ExitCode);

        var run = TrainerRun.Train(Data, Out, Checkpoints, "--steps", "4");

        Assert.Equal(TrainerCommand.Failed, run.ExitCode);
        Assert.Contains("checkpoint.bin", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_MissingModel_FailsNamingHeader()
    {
        var run = TrainerRun.Of("evaluate", "--model", temp.Sub("no-model"), "--data", Data, "--out", temp.Sub("eval"));

        Assert.Equal(TrainerCommand.Failed, run.ExitCode);
        Assert.Contains("model.json", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("train", "--data", "d", "--out", "o")]
    [InlineData("train", "--data", "d", "--out", "o", "--checkpoints", "c", "--order", "9")]
    [InlineData("train", "--data", "d", "--out", "o", "--checkpoints", "c", "--epochs", "3")]
    [InlineData("generate", "--model", "m", "--prompt")]
    [InlineData("fine-tune")]
    public void Run_BadCommandLine_ReturnsUsageError(params string[] args)
    {
        var run = TrainerRun.Of(args);

        Assert.Equal(TrainerCommand.UsageError, run.ExitCode);
        Assert.Contains("--help", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Help_PrintsEveryCommand()
    {
        var run = TrainerRun.Of("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("genai-trainer train", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("genai-trainer evaluate", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("genai-trainer generate", run.Stdout, StringComparison.Ordinal);
    }

    private static double ValidationPerplexity(string output)
    {
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return metrics.RootElement.GetProperty("validation_perplexity").GetDouble();
    }
}
