using GenAiServerless.Trainer;

namespace GenAiServerless.Tests.Trainer;

public sealed class NGramModelTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly NGramModel model;

    public NGramModelTests()
    {
        TrainingCorpus.WriteShards(temp.Sub("data"));
        var run = TrainerRun.Train(temp.Sub("data"), temp.Sub("model"), temp.Sub("checkpoints"), "--steps", "4");
        Assert.True(run.ExitCode == 0, run.Stderr);
        model = NGramModel.Load(temp.Sub("model"));
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Perplexity_TextLikeTrainingData_IsFarLowerThanOnScrambledText()
    {
        var random = new Random(99);
        var likeTraining = Enumerable.Range(0, 100).Select(_ => TrainingCorpus.Sentence(random)).ToList();
        var scrambled = Enumerable.Range(0, 100).Select(_ => TrainingCorpus.Scrambled(random)).ToList();

        var seen = model.Perplexity(likeTraining);
        var unseen = model.Perplexity(scrambled);

        Assert.InRange(seen, 1.0, 6.0);
        Assert.True(unseen > 5 * seen, $"scrambled {unseen} vs grammatical {seen}");
    }

    [Fact]
    public void Perplexity_WordsNeverSeen_IsFiniteButHigh()
    {
        var perplexity = model.Perplexity(["zebras juggle quietly", "the cat eats the fish."]);

        Assert.True(double.IsFinite(perplexity));
        Assert.True(perplexity > model.Perplexity(["the cat eats the fish."]));
    }

    [Fact]
    public void Perplexity_NoTexts_Throws() =>
        Assert.Throws<ArgumentException>(() => model.Perplexity([]));

    [Fact]
    public void Generate_SameSeed_ReturnsSameCompletion()
    {
        var completions = Enumerable.Range(0, 3).Select(_ => model.Generate("the cat", seed: 42)).ToList();

        Assert.All(completions, c => Assert.Equal(completions[0], c));
        Assert.NotEmpty(completions[0]);
    }

    [Fact]
    public void Generate_ManySeeds_EmitsOnlyTrainingWordsAndVaries()
    {
        var vocabulary = TrainingCorpus.Words.ToHashSet(StringComparer.Ordinal);
        var completions = Enumerable.Range(1, 20).Select(seed => model.Generate("my friend", seed: seed, temperature: 1.5)).ToList();

        foreach (var token in completions.SelectMany(Tokenizer.Tokenize))
        {
            Assert.True(vocabulary.Contains(token) || token is "." or "!", $"'{token}' is not a training word");
        }

        Assert.True(completions.Distinct().Count() > 1);
    }

    [Fact]
    public void Generate_AfterSubject_ContinuesWithAVerb()
    {
        // The grammar always follows a subject with a verb; a trained trigram model must have learnt that.
        var verbs = new[] { "eats", "sees", "trains", "likes", "deploys", "watches", "builds" };

        var firstWords = Enumerable.Range(1, 10).Select(seed => Tokenizer.Tokenize(model.Generate("the engineer", seed: seed, temperature: 0.5))[0]);

        Assert.All(firstWords, word => Assert.Contains(word, verbs));
    }

    [Fact]
    public void Generate_MaxTokens_BoundsTheCompletion()
    {
        Assert.Equal("", model.Generate("the cat", maxTokens: 0));
        Assert.InRange(Tokenizer.Tokenize(model.Generate("the cat", maxTokens: 3, temperature: 3)).Count, 1, 3);
    }

    [Fact]
    public void Generate_VeryLowTemperature_StillWritesWords() =>
        Assert.NotEmpty(model.Generate("the cat", temperature: 0.001));

    [Fact]
    public void Generate_NonPositiveTemperature_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Generate("the cat", temperature: 0));

    [Fact]
    public void Load_MissingDirectory_ThrowsNamingHeader()
    {
        var error = Assert.Throws<TrainerInputException>(() => NGramModel.Load(temp.Sub("nowhere")));

        Assert.Contains("model.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TamperedWeights_ThrowsNamingChecksum()
    {
        var weights = Path.Combine(temp.Sub("model"), NGramModel.WeightsFileName);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(weights, bytes);

        var error = Assert.Throws<TrainerInputException>(() => NGramModel.Load(temp.Sub("model")));

        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        Assert.Contains("model.bin", error.Message, StringComparison.Ordinal);
    }
}
