using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>The hyper-parameters and directories of one training run.</summary>
internal sealed record TrainOptions(
    string Data,
    string Out,
    string Checkpoints,
    int Order,
    int Steps,
    int CheckpointEvery,
    int StepDelayMs,
    int Seed,
    int? Attempt = null);

/// <summary>What <c>train</c> writes to <c>&lt;out&gt;/metrics.json</c>.</summary>
internal sealed record TrainMetrics(
    double ValidationPerplexity,
    long TrainTokens,
    int VocabularySize,
    int Order,
    int Steps,
    int ResumedFromStep);

/// <summary>
/// Counts n-grams over the training split in <c>Steps</c> chunks, checkpointing as it goes so an
/// evicted run resumes where it stopped and still ends with a byte-identical model.
/// </summary>
internal sealed class TrainJob(TrainOptions options, TextWriter log)
{
    internal static readonly JsonSerializerOptions MetricsJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    /// <summary>JSON Lines rows: snake_case like <see cref="MetricsJson"/>, one object per line.</summary>
    internal static readonly JsonSerializerOptions LinesJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public TrainMetrics Run()
    {
        var train = ShardReader.ReadTexts(options.Data, "train");
        if (train.Count == 0)
        {
            throw new TrainerInputException($"{options.Data}: no training records (no lines in train-*.jsonl)");
        }

        var validation = ShardReader.ReadTexts(options.Data, "validation");
        if (validation.Count == 0)
        {
            throw new TrainerInputException($"{options.Data}: no validation records (no lines in validation-*.jsonl)");
        }

        var order = Shuffle(train.Count, options.Seed);
        var fingerprint = Fingerprint(train);
        var store = new CheckpointStore(options.Checkpoints, options.Attempt);
        store.Claim();
        var (counts, firstStep) = Resume(store, fingerprint);
        for (var step = firstStep; step < options.Steps; step++)
        {
            var (from, to) = Chunk(step, train.Count);
            for (var i = from; i < to; i++)
            {
                counts.AddText(train[order[i]]);
            }

            if (options.StepDelayMs > 0)
            {
                Thread.Sleep(options.StepDelayMs);
            }

            var done = step + 1;
            if (done % options.CheckpointEvery == 0 || done == options.Steps)
            {
                store.Save(new TrainingCheckpoint(fingerprint, done, options.Steps, counts));
            }

            store.WriteProgress(done, options.Steps);
            log.WriteLine($"step {done}/{options.Steps}: {to - from} records, {counts.TokenCount} tokens so far, vocabulary {counts.Words.Count}");
        }

        if (firstStep == options.Steps)
        {
            store.WriteProgress(options.Steps, options.Steps);
        }

        // A fenced attempt reports nothing: its successor owns the outcome.
        store.EnsureOwner();
        var model = new NGramModel(counts.ToCanonical());
        model.Save(options.Out);
        var perplexity = model.Evaluate(validation);
        var metrics = new TrainMetrics(perplexity.Perplexity, counts.TokenCount, model.VocabularySize, options.Order, options.Steps, firstStep);
        AtomicFile.WriteJson(Path.Combine(options.Out, "metrics.json"), metrics, MetricsJson);
        log.WriteLine($"model written to {Path.Combine(options.Out, NGramModel.HeaderFileName)}: order {model.Order}, vocabulary {model.VocabularySize}, {counts.TokenCount} training tokens");
        log.WriteLine($"validation perplexity {perplexity.Perplexity:F3} over {perplexity.Tokens} tokens");
        return metrics;
    }

    private (NGramCounts Counts, int FirstStep) Resume(CheckpointStore store, string fingerprint)
    {
        var checkpoint = store.TryLoad();
        if (checkpoint is null)
        {
            return (new NGramCounts(options.Order), 0);
        }

        if (checkpoint.Fingerprint != fingerprint)
        {
            throw new TrainerInputException(
                $"{Path.Combine(options.Checkpoints, CheckpointStore.CheckpointFileName)}: written for other training data or settings " +
                "(order, steps, seed); delete it or pass an empty --checkpoints directory");
        }

        log.WriteLine($"resuming from step {checkpoint.NextStep} of {checkpoint.TotalSteps}");
        return (checkpoint.Counts, checkpoint.NextStep);
    }

    /// <summary>Step <paramref name="step"/> covers records [from, to) of the shuffled order; the chunks tile it exactly.</summary>
    private (int From, int To) Chunk(int step, int records) =>
        ((int)((long)step * records / options.Steps), (int)((long)(step + 1) * records / options.Steps));

    /// <summary>A seeded permutation, so steps see a mix of shards and a rerun sees the same mix.</summary>
    private static int[] Shuffle(int count, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    /// <summary>Ties a checkpoint to the exact training texts and the settings that shape the counts.</summary>
    private string Fingerprint(IReadOnlyList<string> train)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"order={options.Order};steps={options.Steps};seed={options.Seed};records={train.Count}\n"));
        Span<byte> length = stackalloc byte[4];
        foreach (var text in train)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            BitConverter.TryWriteBytes(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
