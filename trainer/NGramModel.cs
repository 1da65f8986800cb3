using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>A word-level n-gram language model with interpolated Kneser-Ney smoothing; immutable, so safe to share across threads.</summary>
/// <remarks>
/// The highest order uses raw counts; each lower order uses continuation counts (how many distinct
/// words precede it), and the lowest order interpolates with a uniform distribution over the
/// vocabulary, so an unseen word (read as &lt;unk&gt;) still has a small, finite probability.
/// </remarks>
public sealed class NGramModel
{
    /// <summary>The header file every model directory holds; it names the weights file.</summary>
    public const string HeaderFileName = "model.json";

    /// <summary>The binary counts file the header points to.</summary>
    public const string WeightsFileName = "model.bin";

    internal const string Format = "genai-ngram-kn";
    internal const int FormatVersion = 1;
    private static readonly byte[] Magic = "GNGM"u8.ToArray();

    private static readonly JsonSerializerOptions HeaderJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    private readonly NGramCounts counts;
    private readonly Dictionary<string, int> ids;

    // Index k holds order k (index 0 unused): counts of each k-gram, statistics of each (k-1)-token context, discount.
    private readonly Dictionary<NGram, int>[] gramCounts;
    private readonly Dictionary<NGram, ContextStatistics>[] contexts;
    private readonly double[] discounts;
    private readonly double[] unigram;

    internal NGramModel(NGramCounts counts)
    {
        this.counts = counts;
        Order = counts.Order;
        ids = new Dictionary<string, int>(counts.Words.Count, StringComparer.Ordinal);
        for (var i = 0; i < counts.Words.Count; i++)
        {
            ids.Add(counts.Words[i], i);
        }

        gramCounts = new Dictionary<NGram, int>[Order + 1];
        contexts = new Dictionary<NGram, ContextStatistics>[Order + 1];
        discounts = new double[Order + 1];
        gramCounts[Order] = new Dictionary<NGram, int>(counts.Counts);
        for (var k = Order - 1; k >= 1; k--)
        {
            // Continuation count: every (k+1)-gram type adds one to its k-gram suffix. Padding with
            // start markers gives every predicted token a full history, so no raw counts are needed here.
            var lower = new Dictionary<NGram, int>();
            foreach (var higher in gramCounts[k + 1].Keys)
            {
                var suffix = higher.Suffix;
                lower[suffix] = lower.GetValueOrDefault(suffix) + 1;
            }

            gramCounts[k] = lower;
        }

        for (var k = 1; k <= Order; k++)
        {
            contexts[k] = ContextStatistics.Of(gramCounts[k]);
            discounts[k] = Discount(gramCounts[k].Values);
        }

        unigram = UnigramDistribution();
    }

    /// <summary>The n-gram order (3 = predict each word from the two before it).</summary>
    public int Order { get; }

    /// <summary>Distinct tokens the model knows, markers included.</summary>
    public int VocabularySize => counts.Words.Count;

    /// <summary>Tokens the model was trained on.</summary>
    public long TrainTokens => counts.TokenCount;

    /// <summary>Loads a model written by <c>genai-trainer train</c>; fails with a message naming the file at fault.</summary>
    public static NGramModel Load(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var headerPath = Path.Combine(modelDirectory, HeaderFileName);
        if (!File.Exists(headerPath))
        {
            throw new TrainerInputException($"{headerPath}: no model header; is '{modelDirectory}' the --out directory of a train run?");
        }

        ModelHeader header;
        try
        {
            header = JsonSerializer.Deserialize<ModelHeader>(File.ReadAllText(headerPath), HeaderJson)
                ?? throw new TrainerInputException($"{headerPath}: the header is null");
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{headerPath}: not a valid model header: {e.Message}", e);
        }

        if (header.Format != Format || header.Version != FormatVersion)
        {
            throw new TrainerInputException($"{headerPath}: format '{header.Format}' version {header.Version} is not {Format} version {FormatVersion}");
        }

        var weightsPath = Path.Combine(modelDirectory, header.WeightsFile ?? WeightsFileName);
        if (!File.Exists(weightsPath))
        {
            throw new TrainerInputException($"{weightsPath}: the weights file named by {headerPath} is missing");
        }

        var bytes = File.ReadAllBytes(weightsPath);
        var digest = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (digest != header.WeightsSha256)
        {
            throw new TrainerInputException($"{weightsPath}: SHA-256 {digest} does not match {header.WeightsSha256} in {headerPath}");
        }

        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || reader.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException("not a genai n-gram weights file");
            }

            return new NGramModel(NGramCounts.ReadFrom(reader));
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or TrainerInputException)
        {
            throw new TrainerInputException($"{weightsPath}: {e.Message}", e);
        }
    }

    /// <summary>Writes <c>model.bin</c> then <c>model.json</c>; the header goes last so its presence means a complete model.</summary>
    internal void Save(string modelDirectory)
    {
        Directory.CreateDirectory(modelDirectory);
        using var weights = new MemoryStream();
        using (var writer = new BinaryWriter(weights, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            counts.WriteTo(writer);
        }

        var bytes = weights.ToArray();
        AtomicFile.Write(Path.Combine(modelDirectory, WeightsFileName), stream => stream.Write(bytes));
        var header = new ModelHeader(
            Format,
            FormatVersion,
            Order,
            "interpolated-kneser-ney",
            VocabularySize,
            counts.Counts.Count,
            TrainTokens,
            WeightsFileName,
            Convert.ToHexStringLower(SHA256.HashData(bytes)));
        AtomicFile.WriteJson(Path.Combine(modelDirectory, HeaderFileName), header, HeaderJson);
    }

    /// <summary>Perplexity over the texts, each one a sequence ending in an end marker (which counts as a token).</summary>
    public double Perplexity(IEnumerable<string> texts) => Evaluate(texts).Perplexity;

    internal PerplexityResult Evaluate(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var logProbability = 0.0;
        var tokens = 0L;
        foreach (var text in texts)
        {
            var sequence = StartSequence(text);
            sequence.Add(NGramCounts.EndId);
            for (var position = Order - 1; position < sequence.Count; position++)
            {
                var history = CollectionsMarshal.AsSpan(sequence)[..position];
                logProbability += Math.Log(Probability(history, sequence[position]));
                tokens++;
            }
        }

        if (tokens == 0)
        {
            throw new ArgumentException("perplexity needs at least one text", nameof(texts));
        }

        return new PerplexityResult(Math.Exp(-logProbability / tokens), tokens);
    }

    /// <summary>
    /// The bits the model spends on <paramref name="text"/>: the sum over its tokens, end marker included, of
    /// -log2 p(token | history). Divided by the text's UTF-8 bytes it compares with models of any tokenizer.
    /// </summary>
    public double Bits(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sequence = StartSequence(text);
        sequence.Add(NGramCounts.EndId);
        var bits = 0.0;
        for (var position = Order - 1; position < sequence.Count; position++)
        {
            bits -= Math.Log2(Probability(CollectionsMarshal.AsSpan(sequence)[..position], sequence[position]));
        }

        return bits;
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> by sampling one token at a time until the end marker or
    /// <paramref name="maxTokens"/>; the same seed always gives the same completion.
    /// </summary>
    /// <param name="temperature">Below 1 sharpens the distribution, above 1 flattens it.</param>
    public string Generate(string prompt, int maxTokens = 30, int seed = 1, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        if (!(temperature > 0) || double.IsInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be a positive number");
        }

        var random = new Random(seed);
        var sequence = StartSequence(prompt);
        var completion = new List<string>();
        var distribution = new double[VocabularySize];
        while (completion.Count < maxTokens)
        {
            NextTokenDistribution(CollectionsMarshal.AsSpan(sequence), distribution, temperature);
            var next = Sample(distribution, random.NextDouble());
            if (next == NGramCounts.EndId)
            {
                break;
            }

            sequence.Add(next);
            completion.Add(counts.Words[next]);
        }

        return Tokenizer.Detokenize(completion);
    }

    private List<int> StartSequence(string text)
    {
        var tokens = Tokenizer.Tokenize(text);
        var sequence = new List<int>(Order + tokens.Count + 8);
        for (var i = 0; i < Order - 1; i++)
        {
            sequence.Add(NGramCounts.StartId);
        }

        foreach (var token in tokens)
        {
            sequence.Add(ids.GetValueOrDefault(token, NGramCounts.UnknownId));
        }

        return sequence;
    }

    /// <summary>P(word | history) by the interpolation recursion, lowest order first.</summary>
    private double Probability(ReadOnlySpan<int> history, int word)
    {
        var probability = unigram[word];
        for (var k = 2; k <= Order; k++)
        {
            var context = NGram.Tail(history, k - 1);
            if (contexts[k].TryGetValue(context, out var statistics))
            {
                var count = gramCounts[k].GetValueOrDefault(context.Append(word));
                probability = (Math.Max(count - discounts[k], 0) / statistics.Total)
                    + (discounts[k] * statistics.Types / statistics.Total * probability);
            }
        }

        return probability;
    }

    /// <summary>The whole next-token distribution at once: the unigram table, then each order's followers mixed in.</summary>
    private void NextTokenDistribution(ReadOnlySpan<int> history, double[] distribution, double temperature)
    {
        unigram.CopyTo(distribution, 0);
        for (var k = 2; k <= Order; k++)
        {
            if (!contexts[k].TryGetValue(NGram.Tail(history, k - 1), out var statistics))
            {
                continue;
            }

            var backOff = discounts[k] * statistics.Types / statistics.Total;
            for (var w = 0; w < distribution.Length; w++)
            {
                distribution[w] *= backOff;
            }

            for (var i = 0; i < statistics.Followers.Length; i++)
            {
                distribution[statistics.Followers[i]] += Math.Max(statistics.FollowerCounts[i] - discounts[k], 0) / statistics.Total;
            }
        }

        // Never emit the unknown or start markers: they are not words anyone can read.
        distribution[NGramCounts.UnknownId] = 0;
        distribution[NGramCounts.StartId] = 0;
        if (temperature != 1.0)
        {
            // Scale by the largest probability first so a low temperature cannot underflow every weight to zero.
            var largest = distribution.Max();
            for (var w = 0; w < distribution.Length; w++)
            {
                distribution[w] = Math.Pow(distribution[w] / largest, 1.0 / temperature);
            }
        }
    }

    private static int Sample(double[] weights, double uniform)
    {
        var total = 0.0;
        foreach (var weight in weights)
        {
            total += weight;
        }

        var target = uniform * total;
        var cumulative = 0.0;
        var last = NGramCounts.EndId;
        for (var w = 0; w < weights.Length; w++)
        {
            if (weights[w] <= 0)
            {
                continue;
            }

            cumulative += weights[w];
            last = w;
            if (cumulative > target)
            {
                return w;
            }
        }

        return last;
    }

    private double[] UnigramDistribution()
    {
        var statistics = contexts[1].GetValueOrDefault(NGram.Empty)
            ?? throw new InvalidDataException("the model holds no n-grams");
        var discount = discounts[1];
        var predictable = VocabularySize - 1; // every token but the start marker
        var uniformShare = discount * statistics.Types / statistics.Total / predictable;
        var distribution = new double[VocabularySize];
        for (var w = 0; w < distribution.Length; w++)
        {
            if (w == NGramCounts.StartId)
            {
                continue;
            }

            var count = gramCounts[1].GetValueOrDefault(NGram.Empty.Append(w));
            distribution[w] = (Math.Max(count - discount, 0) / statistics.Total) + uniformShare;
        }

        return distribution;
    }

    /// <summary>The usual Kneser-Ney estimate D = n1 / (n1 + 2 n2), kept inside (0.1, 0.9) for tiny corpora.</summary>
    private static double Discount(IEnumerable<int> values)
    {
        var once = 0;
        var twice = 0;
        foreach (var value in values)
        {
            once += value == 1 ? 1 : 0;
            twice += value == 2 ? 1 : 0;
        }

        var estimate = once + twice == 0 ? 0.5 : (double)once / (once + (2 * twice));
        return Math.Clamp(estimate, 0.1, 0.9);
    }

    /// <summary>What one context has seen: the summed count, the distinct followers, and who they are.</summary>
    private sealed class ContextStatistics(int total, int types)
    {
        private int filled;

        public int Total { get; } = total;

        public int Types => Followers.Length;

        public int[] Followers { get; } = new int[types];

        public int[] FollowerCounts { get; } = new int[types];

        public static Dictionary<NGram, ContextStatistics> Of(Dictionary<NGram, int> grams)
        {
            var sizes = new Dictionary<NGram, (int Total, int Types)>();
            foreach (var (gram, count) in grams)
            {
                var (total, types) = sizes.GetValueOrDefault(gram.Context);
                sizes[gram.Context] = (total + count, types + 1);
            }

            var statistics = new Dictionary<NGram, ContextStatistics>(sizes.Count);
            foreach (var (context, (total, types)) in sizes)
            {
                statistics.Add(context, new ContextStatistics(total, types));
            }

            foreach (var (gram, count) in grams)
            {
                statistics[gram.Context].Add(gram.Last, count);
            }

            return statistics;
        }

        private void Add(int follower, int count)
        {
            Followers[filled] = follower;
            FollowerCounts[filled++] = count;
        }
    }

    private sealed record ModelHeader(
        string Format,
        int Version,
        int Order,
        string Smoothing,
        int VocabularySize,
        int NgramCount,
        long TrainTokens,
        string? WeightsFile,
        string WeightsSha256);
}

/// <summary>A perplexity and the number of tokens it was measured over.</summary>
internal readonly record struct PerplexityResult(double Perplexity, long Tokens);
