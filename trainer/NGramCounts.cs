namespace GenAiServerless.Trainer;

/// <summary>
/// What training accumulates: the vocabulary and the count of every highest-order n-gram.
/// Every lower-order statistic the smoothed model needs derives from these counts.
/// </summary>
internal sealed class NGramCounts
{
    public const string Unknown = "<unk>";
    public const string Start = "<s>";
    public const string End = "</s>";
    public const int UnknownId = 0;
    public const int StartId = 1;
    public const int EndId = 2;

    private readonly List<string> words = [Unknown, Start, End];
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal) { [Unknown] = UnknownId, [Start] = StartId, [End] = EndId };
    private readonly Dictionary<NGram, int> counts = [];

    public NGramCounts(int order)
    {
        if (order is < 1 or > NGram.MaxOrder)
        {
            throw new TrainerInputException($"order must be between 1 and {NGram.MaxOrder}, got {order}");
        }

        Order = order;
    }

    public int Order { get; }

    /// <summary>Tokens seen in training, each sequence's end marker included.</summary>
    public long TokenCount { get; private set; }

    public IReadOnlyList<string> Words => words;

    public IReadOnlyDictionary<NGram, int> Counts => counts;

    public void AddText(string text)
    {
        var tokens = Tokenizer.Tokenize(text);
        var sequence = new int[Order - 1 + tokens.Count + 1];
        sequence.AsSpan(0, Order - 1).Fill(StartId);
        for (var i = 0; i < tokens.Count; i++)
        {
            sequence[Order - 1 + i] = IdOf(tokens[i]);
        }

        sequence[^1] = EndId;
        for (var end = Order; end <= sequence.Length; end++)
        {
            var gram = NGram.Tail(sequence.AsSpan(0, end), Order);
            counts[gram] = counts.GetValueOrDefault(gram) + 1;
        }

        TokenCount += tokens.Count + 1;
    }

    /// <summary>
    /// The same counts with words sorted (markers first) and n-grams sorted, so the model file is a
    /// function of the training data alone, not of the order it was read in or where a run resumed.
    /// </summary>
    public NGramCounts ToCanonical()
    {
        var sorted = words.Skip(3).Order(StringComparer.Ordinal).ToList();
        var canonical = new NGramCounts(Order) { TokenCount = TokenCount };
        foreach (var word in sorted)
        {
            canonical.IdOf(word);
        }

        var remap = words.Select(word => canonical.ids[word]).ToArray();
        var keys = new NGram[counts.Count];
        var values = new int[counts.Count];
        var next = 0;
        Span<int> gram = stackalloc int[Order];
        foreach (var (key, count) in counts)
        {
            key.CopyTo(gram, Order);
            foreach (ref var id in gram)
            {
                id = remap[id];
            }

            keys[next] = NGram.Tail(gram, Order);
            values[next++] = count;
        }

        Array.Sort(keys, values, Comparer<NGram>.Create(NGram.Compare));
        canonical.counts.EnsureCapacity(keys.Length);
        for (var i = 0; i < keys.Length; i++)
        {
            canonical.counts.Add(keys[i], values[i]);
        }

        return canonical;
    }

    /// <summary>Layout: order, token count, words, then each n-gram as <c>order</c> ids and a count (little-endian).</summary>
    public void WriteTo(BinaryWriter writer)
    {
        writer.Write(Order);
        writer.Write(TokenCount);
        writer.Write(words.Count);
        foreach (var word in words)
        {
            writer.Write(word);
        }

        writer.Write(counts.Count);
        Span<int> gram = stackalloc int[Order];
        foreach (var (key, count) in counts)
        {
            key.CopyTo(gram, Order);
            foreach (var id in gram)
            {
                writer.Write(id);
            }

            writer.Write(count);
        }
    }

    public static NGramCounts ReadFrom(BinaryReader reader)
    {
        var result = new NGramCounts(reader.ReadInt32()) { TokenCount = reader.ReadInt64() };
        var wordCount = reader.ReadInt32();
        for (var i = 0; i < wordCount; i++)
        {
            var word = reader.ReadString();
            if (i < 3 && word != result.words[i])
            {
                throw new InvalidDataException($"word {i} should be the marker {result.words[i]}, found '{word}'");
            }

            if (i >= 3)
            {
                result.ids.Add(word, i);
                result.words.Add(word);
            }
        }

        var gramCount = reader.ReadInt32();
        result.counts.EnsureCapacity(gramCount);
        Span<int> gram = stackalloc int[result.Order];
        for (var i = 0; i < gramCount; i++)
        {
            for (var j = 0; j < gram.Length; j++)
            {
                gram[j] = reader.ReadInt32();
                if ((uint)gram[j] >= (uint)wordCount)
                {
                    throw new InvalidDataException($"n-gram {i} refers to word id {gram[j]}, but there are only {wordCount} words");
                }
            }

            result.counts.Add(NGram.Tail(gram, result.Order), reader.ReadInt32());
        }

        return result;
    }

    private int IdOf(string word)
    {
        if (!ids.TryGetValue(word, out var id))
        {
            id = words.Count;
            ids.Add(word, id);
            words.Add(word);
        }

        return id;
    }
}
