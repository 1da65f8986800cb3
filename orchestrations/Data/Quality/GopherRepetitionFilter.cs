using System.Buffers;
using System.Numerics;

namespace GenAiServerless.Data.Quality;

/// <summary>Thresholds of <see cref="GopherRepetitionFilter"/>; the defaults are Gopher's (Rae et al. 2021, table A1),
/// as datatrove's <c>GopherRepetitionFilter</c> implements them.</summary>
public sealed record GopherRepetitionOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Maximum fraction of lines that repeat an earlier line.</summary>
    public double MaxDuplicateLineFraction { get; init; } = 0.30;

    /// <summary>Maximum fraction of paragraphs (separated by a blank line) that repeat an earlier one.</summary>
    public double MaxDuplicateParagraphFraction { get; init; } = 0.30;

    /// <summary>Maximum share of the text's characters in repeated lines.</summary>
    public double MaxDuplicateLineCharFraction { get; init; } = 0.20;

    public double MaxDuplicateParagraphCharFraction { get; init; } = 0.20;

    /// <summary>Maximum share of characters in the most frequent word n-gram, for n = 2, 3, 4.</summary>
    public IReadOnlyList<double> MaxTopNGramCharFraction { get; init; } = [0.20, 0.18, 0.16];

    /// <summary>Maximum share of characters in duplicated word n-grams, for n = 5 .. 10.</summary>
    public IReadOnlyList<double> MaxDuplicateNGramCharFraction { get; init; } = [0.15, 0.14, 0.13, 0.12, 0.11, 0.10];
}

/// <summary>The Gopher repetition rules: duplicate lines and paragraphs (by count and by characters), the most
/// frequent 2/3/4-gram, and duplicated 5..10-grams. Pure, thread-safe, allocation-free in steady state.</summary>
/// <remarks>
/// Fractions are of the text's length, as in datatrove. Words are whitespace tokens, compared exactly (case and
/// punctuation kept). Lines, paragraphs and n-grams are compared by 64-bit hashes (collisions at 2^-64 odds).
/// Two deliberate deviations from datatrove: blank lines are not lines, and the top n-gram counts only when it occurs
/// at least twice (datatrove also counts a unique n-gram, which drops short records for no repetition at all).
/// If no 5-gram repeats, no longer one can, so the 6..10 passes are skipped.
/// </remarks>
public sealed class GopherRepetitionFilter
{
    readonly GopherRepetitionOptions options;

    public GopherRepetitionFilter(GopherRepetitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxTopNGramCharFraction.Count != 3 || options.MaxDuplicateNGramCharFraction.Count != 6)
        {
            throw new ArgumentException(
                $"{nameof(GopherRepetitionOptions)}: {nameof(options.MaxTopNGramCharFraction)} needs 3 values (n = 2..4) and "
                + $"{nameof(options.MaxDuplicateNGramCharFraction)} 6 values (n = 5..10)",
                nameof(options));
        }

        this.options = options;
    }

    public FilterDecision Evaluate(ReadOnlySpan<char> text)
    {
        if (!options.Enabled || text.IsEmpty)
        {
            return FilterDecision.Keep;
        }

        double length = text.Length;
        (int paragraphs, int dupParagraphs, int dupParagraphChars) = DuplicateParagraphs(text);
        if (Exceeds((double)dupParagraphs / paragraphs, options.MaxDuplicateParagraphFraction, QualityRules.RepetitionDuplicateParagraphs, "of paragraphs are duplicates", out FilterDecision drop)
            || Exceeds(dupParagraphChars / length, options.MaxDuplicateParagraphCharFraction, QualityRules.RepetitionDuplicateParagraphChars, "of characters are in duplicate paragraphs", out drop))
        {
            return drop;
        }

        (int lines, int dupLines, int dupLineChars) = DuplicateLines(text);
        if (lines > 0
            && (Exceeds((double)dupLines / lines, options.MaxDuplicateLineFraction, QualityRules.RepetitionDuplicateLines, "of lines are duplicates", out drop)
                || Exceeds(dupLineChars / length, options.MaxDuplicateLineCharFraction, QualityRules.RepetitionDuplicateLineChars, "of characters are in duplicate lines", out drop)))
        {
            return drop;
        }

        return NGrams(text, length);
    }

    FilterDecision NGrams(ReadOnlySpan<char> text, double length)
    {
        int capacity = (text.Length / 2) + 1;
        int[] prefix = ArrayPool<int>.Shared.Rent(capacity + 1);
        ulong[] hashes = ArrayPool<ulong>.Shared.Rent(capacity);
        ulong[] grams = ArrayPool<ulong>.Shared.Rent(capacity);
        try
        {
            int words = 0;
            prefix[0] = 0;
            using var scanner = new TokenScanner(text, stackalloc ulong[TokenScanner.StackWords]);
            while (scanner.Next(out int start, out int len))
            {
                hashes[words] = TextScan.Hash(text.Slice(start, len));
                prefix[words + 1] = prefix[words] + len;
                words++;
            }

            // grams[i] is the hash of the n-gram starting at word i; each pass extends it by one word (see NGramHash).
            for (int i = 0; i < words; i++)
            {
                grams[i] = NGramStep(NGramSeed, hashes[i]);
            }

            for (int n = 2; n <= 4; n++)
            {
                if (words < n)
                {
                    break;
                }

                HashCounter table = HashCounter.Rent(words - n + 1);
                for (int i = 0; i + n <= words; i++)
                {
                    grams[i] = NGramStep(grams[i], hashes[i + n - 1]);
                    table.Increment(grams[i], i);
                }

                (int count, int first) = table.Top();
                if (count < 2)
                {
                    // No n-gram repeats, so no longer one does either.
                    return FilterDecision.Keep;
                }

                // As datatrove: the n-gram's characters with its separating spaces, times its count.
                double chars = (double)(prefix[first + n] - prefix[first] + n - 1) * count;
                if (Exceeds(chars / length, options.MaxTopNGramCharFraction[n - 2], QualityRules.RepetitionTopNGram(n), "of characters are in the most frequent {0}-gram", n, out FilterDecision drop))
                {
                    return drop;
                }
            }

            for (int n = 5; n <= 10 && words >= n; n++)
            {
                // datatrove's walk: a repeated n-gram adds its characters (without spaces) and skips past itself.
                HashCounter table = HashCounter.Rent(words - n + 1);
                for (int k = 0; k + n <= words; k++)
                {
                    grams[k] = NGramStep(grams[k], hashes[k + n - 1]);
                }

                long repeated = 0;
                int i = 0;
                while (i + n <= words)
                {
                    if (table.Increment(grams[i], i) > 1)
                    {
                        repeated += prefix[i + n] - prefix[i];
                        i += n;
                    }
                    else
                    {
                        i++;
                    }
                }

                if (repeated == 0)
                {
                    return FilterDecision.Keep;
                }

                if (Exceeds(repeated / length, options.MaxDuplicateNGramCharFraction[n - 5], QualityRules.RepetitionDuplicateNGram(n), "of characters are in duplicated {0}-grams", n, out FilterDecision drop))
                {
                    return drop;
                }
            }

            return FilterDecision.Keep;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(prefix);
            ArrayPool<ulong>.Shared.Return(hashes);
            ArrayPool<ulong>.Shared.Return(grams);
        }
    }

    const ulong NGramSeed = 0x9E3779B97F4A7C15UL;

    /// <summary>An n-gram's hash is <c>NGramStep</c> folded over its word hashes from <see cref="NGramSeed"/>, so the
    /// (n+1)-gram at a word is one step from the n-gram there.</summary>
    static ulong NGramStep(ulong h, ulong word) => (BitOperations.RotateLeft(h, 23) ^ word) * 0x100000001B3UL;

    /// <summary>Paragraphs are runs of non-blank lines; a text without a blank line is one paragraph.</summary>
    static (int Count, int Duplicates, int DuplicateChars) DuplicateParagraphs(ReadOnlySpan<char> text)
    {
        HashCounter table = HashCounter.Rent(Math.Max(16, text.Count('\n') + 1));
        int count = 0;
        int duplicates = 0;
        int duplicateChars = 0;
        int paragraphStart = -1;
        int paragraphEnd = 0;
        int pos = 0;
        while (pos <= text.Length)
        {
            int newline = text[pos..].IndexOf('\n');
            int lineEnd = newline < 0 ? text.Length : pos + newline;
            bool blank = text[pos..lineEnd].IsWhiteSpace();
            if (!blank)
            {
                paragraphStart = paragraphStart < 0 ? pos : paragraphStart;
                paragraphEnd = lineEnd;
            }

            if ((blank || newline < 0) && paragraphStart >= 0)
            {
                ReadOnlySpan<char> paragraph = text[paragraphStart..paragraphEnd].Trim();
                if (table.Increment(TextScan.Hash(paragraph), count++) > 1)
                {
                    duplicates++;
                    duplicateChars += paragraph.Length;
                }

                paragraphStart = -1;
            }

            pos = lineEnd + 1;
        }

        return (Math.Max(count, 1), duplicates, duplicateChars);
    }

    static (int Count, int Duplicates, int DuplicateChars) DuplicateLines(ReadOnlySpan<char> text)
    {
        HashCounter table = HashCounter.Rent(Math.Max(16, text.Count('\n') + 1));
        int count = 0;
        int duplicates = 0;
        int duplicateChars = 0;
        foreach (ReadOnlySpan<char> raw in text.EnumerateLines())
        {
            ReadOnlySpan<char> line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            if (table.Increment(TextScan.Hash(line), count++) > 1)
            {
                duplicates++;
                duplicateChars += line.Length;
            }
        }

        return (count, duplicates, duplicateChars);
    }

    static bool Exceeds(double value, double max, string rule, string what, out FilterDecision drop) =>
        Exceeds(value, max, rule, what, 0, out drop);

    /// <summary>True, with the drop, when <paramref name="value"/> is over <paramref name="max"/>; <paramref name="what"/>
    /// may hold <c>{0}</c> for <paramref name="n"/>, formatted only on a drop.</summary>
    static bool Exceeds(double value, double max, string rule, string what, int n, out FilterDecision drop)
    {
        drop = value > max
            ? FilterDecision.Drop(rule, $"{TextScan.Ratio(value)} {what.Replace("{0}", n.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)}; maximum {TextScan.Ratio(max)}")
            : FilterDecision.Keep;
        return !drop.Kept;
    }
}
