using System.Globalization;
using System.Text;

namespace GenAiServerless.Bench.Etl;

/// <summary>How a planted record was made from its source.</summary>
internal enum EditKind { ExactCopy, Substitution, InsertDelete, SentenceReorder, Truncation }

/// <summary>A planted (copy, source) pair and the exact Jaccard similarity of their word 5-gram sets.</summary>
internal sealed record PlantedPair(int Copy, int Source, EditKind Kind, double Jaccard);

/// <summary>A seeded JSONL corpus with planted exact and near duplicates, and its truth (kept in memory).</summary>
/// <param name="Buffer">The corpus as UTF-8 JSONL in its first <paramref name="Length"/> bytes; record i is line i + 1 and has id <c>doc-{i:D8}</c>.</param>
/// <param name="Words">Each record's words as vocabulary indices: the tokens <see cref="GenAiServerless.Data.Dedup.MinHasher"/> sees,
/// so Jaccard similarities computed on them are exact.</param>
/// <param name="Family">The original each record descends from (itself for an original).</param>
/// <param name="PiiRecords">Records with an e-mail address, a phone number and a payment card planted in them.</param>
/// <param name="LowQualityRecords">Records made of one sentence repeated (the Gopher repetition rules drop them).</param>
internal sealed record EtlCorpus(byte[] Buffer, int Length, ushort[][] Words, int[] Family, IReadOnlyList<PlantedPair> Planted, int VocabularySize, int PiiRecords = 0, int LowQualityRecords = 0)
{
    const double ExactShare = 0.02;
    const double NearShare = 0.10;
    const double PiiShare = 0.02;
    const double LowQualityShare = 0.02;

    /// <summary>The first words of the vocabulary, and so the most frequent: the Gopher stop words, so documents read
    /// as text to the quality filters.</summary>
    static readonly string[] StopWords = ["the", "be", "to", "of", "and", "that", "have", "with"];
    const int MinWords = 50;
    const int MaxWords = 300;
    const int RecentSources = 2048;

    public int Records => Words.Length;

    public Stream Open() => new MemoryStream(Buffer, 0, Length, writable: false);

    public static string IdOf(int record) => $"doc-{record:D8}";

    /// <summary>Records until the corpus holds at least <paramref name="bytes"/> bytes; the same seed gives the same bytes.</summary>
    public static EtlCorpus Generate(long bytes, int seed, int vocabularySize = 4000)
    {
        var random = new Random(seed);
        var vocabulary = Vocabulary(random, vocabularySize);
        var words = new List<ushort[]>();
        var sentenceEnds = new List<int[]>();
        var family = new List<int>();
        var planted = new List<PlantedPair>();
        var recent = new int[RecentSources];
        var recentCount = 0;
        var text = new StringBuilder(MaxWords * 12);
        int pii = 0, lowQuality = 0;
        using var stream = new MemoryStream(checked((int)bytes + (64 * 1024)));
        using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true))
        {
            long written = 0;
            while (written < bytes)
            {
                var record = words.Count;
                var roll = random.NextDouble();
                ushort[] doc;
                int[] ends;
                string? suffix = null;
                if (roll >= 1 - PiiShare)
                {
                    // Not a source of copies: PII and low-quality records stand alone.
                    (doc, ends) = Original(random, vocabularySize);
                    family.Add(record);
                    suffix = string.Create(CultureInfo.InvariantCulture, $" Write to jane.doe{record}@example.com or call +1 415 555 {record % 10000:D4}, card 4111 1111 1111 1111.");
                    pii++;
                }
                else if (roll >= 1 - PiiShare - LowQualityShare)
                {
                    (ushort[] sentence, _) = Original(random, vocabularySize);
                    doc = [.. Enumerable.Repeat(sentence[..10], 12).SelectMany(w => w)];
                    ends = [.. Enumerable.Range(1, 12).Select(k => k * 10)];
                    family.Add(record);
                    lowQuality++;
                }
                else if (roll < ExactShare + NearShare && recentCount > 0)
                {
                    var source = recent[random.Next(Math.Min(recentCount, RecentSources))];
                    var kind = roll < ExactShare ? EditKind.ExactCopy : (EditKind)(1 + random.Next(4));
                    (doc, ends) = Edit(random, kind, words[source], sentenceEnds[source], vocabularySize);
                    planted.Add(new PlantedPair(record, source, kind, ExactJaccard(doc, words[source])));
                    family.Add(family[source]);
                }
                else
                {
                    (doc, ends) = Original(random, vocabularySize);
                    family.Add(record);
                    recent[recentCount++ % RecentSources] = record;
                }

                words.Add(doc);
                sentenceEnds.Add(ends);
                var line = Line(record, doc, ends, vocabulary, text, suffix);
                writer.Write(line);
                writer.Write('\n');
                written += line.Length + 1; // ASCII only
            }

            writer.Flush();
            return new EtlCorpus(stream.GetBuffer(), (int)stream.Length, [.. words], [.. family], planted, vocabularySize, pii, lowQuality);
        }
    }

    /// <summary>Exact Jaccard similarity of two records' word 5-gram sets (a 5-gram of 12-bit word indices packs into 60 bits).</summary>
    public static double ExactJaccard(ushort[] a, ushort[] b)
    {
        var x = Shingles(a);
        var y = Shingles(b);
        var common = 0;
        foreach (var s in y)
        {
            common += x.Contains(s) ? 1 : 0;
        }

        return (double)common / (x.Count + y.Count - common);
    }

    static HashSet<ulong> Shingles(ushort[] words)
    {
        var set = new HashSet<ulong>(words.Length);
        for (var i = 0; i + 5 <= words.Length; i++)
        {
            set.Add(words[i] | ((ulong)words[i + 1] << 12) | ((ulong)words[i + 2] << 24) | ((ulong)words[i + 3] << 36) | ((ulong)words[i + 4] << 48));
        }

        return set;
    }

    static (ushort[], int[]) Original(Random random, int vocabularySize)
    {
        var count = random.Next(MinWords, MaxWords + 1);
        var doc = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            // Cubing a uniform draw skews choice towards the first words, as word frequencies in text are skewed.
            var u = random.NextDouble();
            doc[i] = (ushort)(u * u * u * vocabularySize);
        }

        var ends = new List<int>();
        for (var end = random.Next(8, 21); end < count; end += random.Next(8, 21))
        {
            ends.Add(end);
        }

        ends.Add(count);
        return (doc, [.. ends]);
    }

    /// <summary>One edit of <paramref name="kind"/> with a random strength, spread so the copies' Jaccard similarities
    /// fall across roughly 0.55–1 (every band the benchmark reports).</summary>
    static (ushort[], int[]) Edit(Random random, EditKind kind, ushort[] source, int[] ends, int vocabularySize)
    {
        var words = source.ToList();
        switch (kind)
        {
            case EditKind.ExactCopy:
                return (source, ends);
            case EditKind.Substitution:
                for (var k = Edits(random, words.Count); k > 0; k--)
                {
                    words[random.Next(words.Count)] = (ushort)random.Next(vocabularySize);
                }

                return (words.ToArray(), Rescale(ends, words.Count));
            case EditKind.InsertDelete:
                for (var k = Edits(random, words.Count); k > 0; k--)
                {
                    if (random.Next(2) == 0)
                    {
                        words.Insert(random.Next(words.Count + 1), (ushort)random.Next(vocabularySize));
                    }
                    else if (words.Count > MinWords / 2)
                    {
                        words.RemoveAt(random.Next(words.Count));
                    }
                }

                return (words.ToArray(), Rescale(ends, words.Count));
            case EditKind.SentenceReorder:
            {
                var sentences = new List<ushort[]>();
                for (int s = 0, start = 0; s < ends.Length; start = ends[s++])
                {
                    sentences.Add(source[start..ends[s]]);
                }

                for (var moves = random.Next(1, 4); moves > 0 && sentences.Count > 2; moves--)
                {
                    var from = random.Next(sentences.Count);
                    var moved = sentences[from];
                    sentences.RemoveAt(from);
                    sentences.Insert(random.Next(sentences.Count + 1), moved);
                }

                var newEnds = new List<int>();
                var total = 0;
                foreach (var s in sentences)
                {
                    newEnds.Add(total += s.Length);
                }

                return ([.. sentences.SelectMany(s => s)], [.. newEnds]);
            }
            case EditKind.Truncation:
            {
                var keep = (int)Math.Round(words.Count * (0.55 + (0.45 * random.NextDouble())));
                var prefix = random.Next(2) == 0;
                var cut = prefix ? words.GetRange(0, keep) : words.GetRange(words.Count - keep, keep);
                return (cut.ToArray(), Rescale(ends, cut.Count));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown edit kind");
        }
    }

    /// <summary>Up to 5 % of the words: each edit changes about five 5-grams, so J ≈ (1 − 5f)/(1 + 5f) spans 0.6–1.</summary>
    static int Edits(Random random, int words) => Math.Max(1, (int)(words * 0.05 * random.NextDouble()));

    /// <summary>Sentence ends for an edited record: the source's layout, cut at its new length.</summary>
    static int[] Rescale(int[] ends, int count) => [.. ends.Where(e => e < count).Append(count)];

    static string Line(int record, ushort[] doc, int[] ends, string[] vocabulary, StringBuilder text, string? suffix)
    {
        text.Clear();
        var sentence = 0;
        for (var i = 0; i < doc.Length; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            var word = vocabulary[doc[i]];
            var first = i == 0 || (sentence > 0 && ends[sentence - 1] == i);
            text.Append(first ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            if (sentence < ends.Length && ends[sentence] == i + 1)
            {
                text.Append('.');
                sentence++;
            }
        }

        text.Append(suffix);
        return $"{{\"id\":\"{IdOf(record)}\",\"text\":\"{text}\"}}";
    }

    static string[] Vocabulary(Random random, int size)
    {
        var words = new HashSet<string>(StopWords);
        var list = new List<string>(StopWords);
        while (list.Count < size)
        {
            var letters = new char[random.Next(2, 11)];
            for (var i = 0; i < letters.Length; i++)
            {
                letters[i] = (char)('a' + random.Next(26));
            }

            var word = new string(letters);
            if (words.Add(word))
            {
                list.Add(word);
            }
        }

        return [.. list];
    }
}
