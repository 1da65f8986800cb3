using System.Text.Json;

namespace GenAiServerless.Tests.Trainer;

/// <summary>A temporary directory that removes itself.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "genai-trainer-tests", Guid.NewGuid().ToString("N"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>Writes curated-style JSONL shards of sentences from a small grammar, so the model has structure to learn.</summary>
internal static class TrainingCorpus
{
    private static readonly string[] Subjects = ["the cat", "a dog", "the model", "my friend", "the pipeline", "a small bird", "the engineer"];
    private static readonly string[] Verbs = ["eats", "sees", "trains", "likes", "deploys", "watches", "builds"];
    private static readonly string[] Objects = ["the fish", "a ball", "the data", "new models", "the garden", "some bread", "a checkpoint"];
    private static readonly string[] Endings = [".", "!", " today.", " again.", " in the morning."];

    public static IReadOnlyList<string> Words { get; } =
        [.. Subjects.Concat(Verbs).Concat(Objects).Concat(Endings).SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(w => w.TrimEnd('.', '!')).Where(w => w.Length > 0).Distinct()];

    public static string Sentence(Random random) =>
        $"{Pick(Subjects, random)} {Pick(Verbs, random)} {Pick(Objects, random)}{Pick(Endings, random)}";

    /// <summary>The same words as the grammar, in no order at all.</summary>
    public static string Scrambled(Random random) =>
        string.Join(' ', Enumerable.Range(0, 8).Select(_ => Pick(Words, random)));

    public static void WriteShards(string dataDirectory, int train = 2000, int validation = 200, int test = 200, int seed = 7)
    {
        Directory.CreateDirectory(dataDirectory);
        var random = new Random(seed);
        WriteSplit(dataDirectory, "train", train, shards: 3, random);
        WriteSplit(dataDirectory, "validation", validation, shards: 1, random);
        WriteSplit(dataDirectory, "test", test, shards: 1, random);
    }

    private static void WriteSplit(string dataDirectory, string split, int records, int shards, Random random)
    {
        for (var shard = 0; shard < shards; shard++)
        {
            var lines = Enumerable.Range(0, records / shards).Select(i => JsonSerializer.Serialize(new
            {
                id = $"{split}-{shard}-{i}",
                text = $"{Sentence(random)} {Sentence(random)}",
                source = "grammar",
            }));
            File.WriteAllLines(Path.Combine(dataDirectory, $"{split}-{shard:D5}.jsonl"), lines);
        }
    }

    private static string Pick(IReadOnlyList<string> choices, Random random) => choices[random.Next(choices.Count)];
}
