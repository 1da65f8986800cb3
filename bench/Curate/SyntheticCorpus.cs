using System.Text;

namespace GenAiServerless.Bench.Curate;

/// <summary>A seeded JSONL corpus in memory: <c>{"id","text"}</c> records, some exact duplicates, some malformed lines.</summary>
/// <param name="Buffer">The corpus as the Data stage reads it from a blob (UTF-8, one record a line) in its first <paramref name="Length"/> bytes.</param>
internal sealed record SyntheticCorpus(byte[] Buffer, int Length, int Lines, int ExactDuplicates, int Malformed, int VocabularySize)
{
    /// <summary>A fresh read-only stream over the corpus.</summary>
    public Stream Open() => new MemoryStream(Buffer, 0, Length, writable: false);

    const double DuplicateShare = 0.02;
    const double MalformedShare = 0.005;
    const int MinWords = 20;
    const int MaxWords = 200;

    /// <summary>Lines until the corpus holds at least <paramref name="bytes"/> bytes; the same seed gives the same bytes.</summary>
    public static SyntheticCorpus Generate(long bytes, int seed, int vocabularySize = 4000)
    {
        var random = new Random(seed);
        var vocabulary = Enumerable.Range(0, vocabularySize).Select(_ => Word(random)).ToArray();

        // Duplicates copy a recent line, the way a re-exported batch repeats records near each other.
        var recent = new string[4096];
        var recentCount = 0;
        var text = new StringBuilder(MaxWords * 12);
        using var stream = new MemoryStream(checked((int)bytes + (64 * 1024)));
        using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true))
        {
            long written = 0;
            int lines = 0, duplicates = 0, malformed = 0, ids = 0;
            while (written < bytes)
            {
                string line;
                var roll = random.NextDouble();
                if (roll < DuplicateShare && recentCount > 0)
                {
                    line = recent[random.Next(Math.Min(recentCount, recent.Length))];
                    duplicates++;
                }
                else
                {
                    line = Record(random, vocabulary, text, ++ids);
                    if (roll < DuplicateShare + MalformedShare)
                    {
                        // Any proper prefix of a JSON object is invalid JSON: a line cut short by a failed export.
                        line = line[..random.Next(1, line.Length - 1)];
                        malformed++;
                    }
                    else
                    {
                        recent[recentCount++ % recent.Length] = line;
                    }
                }

                writer.Write(line);
                writer.Write('\n');
                written += line.Length + 1; // ASCII only: one byte a character
                lines++;
            }

            writer.Flush();

            // The stream's own buffer, not a copy: the corpus is held once, so the peak working set measures the code, not the harness.
            return new SyntheticCorpus(stream.GetBuffer(), (int)stream.Length, lines, duplicates, malformed, vocabularySize);
        }
    }

    static string Record(Random random, string[] vocabulary, StringBuilder text, int id)
    {
        text.Clear();
        var words = random.Next(MinWords, MaxWords + 1);
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
            {
                text.Append(i % 15 == 0 ? ". " : " ");
            }

            // Cubing a uniform draw skews choice towards the first words, as word frequencies in text are skewed.
            var u = random.NextDouble();
            text.Append(vocabulary[(int)(u * u * u * vocabulary.Length)]);
        }

        text.Append('.');
        return $"{{\"id\":\"doc-{id:D8}\",\"text\":\"{text}\"}}";
    }

    static string Word(Random random)
    {
        var letters = new char[random.Next(2, 11)];
        for (var i = 0; i < letters.Length; i++)
        {
            letters[i] = (char)('a' + random.Next(26));
        }

        return new string(letters);
    }
}
