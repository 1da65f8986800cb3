using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

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

    /// <summary>False when the options turn the filter off (every record is kept).</summary>
    internal bool Enabled => options.Enabled;

    public FilterDecision Evaluate(ReadOnlySpan<char> text) => Evaluate(text, null);

    /// <summary>As <see cref="Evaluate(ReadOnlySpan{char})"/>, reading the words from <paramref name="tokens"/> (the
    /// scan of <paramref name="text"/>) when given.</summary>
    internal FilterDecision Evaluate(ReadOnlySpan<char> text, TokenList? tokens)
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

        return NGrams(text, tokens ?? TokenList.Scan(text), length);
    }

    FilterDecision NGrams(ReadOnlySpan<char> text, TokenList tokens, double length)
    {
        int words = tokens.Count;
        (int[] prefix, ulong[] hashes, ulong[] grams, int[] live, int[] slots) = NGramScratch.For(words);
        HashCounter table = HashCounter.Rent(words);
        ReadOnlySpan<int> starts = tokens.Starts;
        ReadOnlySpan<int> ends = tokens.Ends;
        HashWords(text, starts, ends, hashes.AsSpan(0, words), prefix.AsSpan(0, words + 1), grams.AsSpan(0, words), live.AsSpan(0, words));

        // The positions where the (n-1)-gram occurs more than once, ascending. Elsewhere the n-gram occurs once: it can
        // be neither the most frequent one (that needs two occurrences) nor a repeat, so only these are counted.
        int liveCount = words;
        for (int n = 2; n <= 10 && words >= n; n++)
        {
            int counted = Extend(n, live.AsSpan(0, liveCount), hashes.AsSpan(0, words), grams.AsSpan(0, words), slots, table);

            FilterDecision drop;
            if (n <= 4)
            {
                (int count, int first) = table.Top();
                if (count < 2)
                {
                    // No n-gram repeats, so no longer one does either.
                    return FilterDecision.Keep;
                }

                // As datatrove: the n-gram's characters with its separating spaces, times its count.
                double chars = (double)(prefix[first + n] - prefix[first] + n - 1) * count;
                if (Exceeds(chars / length, options.MaxTopNGramCharFraction[n - 2], QualityRules.RepetitionTopNGram(n), "of characters are in the most frequent {0}-gram", n, out drop))
                {
                    return drop;
                }
            }
            else
            {
                // datatrove's walk: a repeated n-gram adds its characters (without spaces) and skips past itself. The
                // walk steps over a position left out here by one word, as it does over any n-gram seen for the first time.
                long repeated = 0;
                int next = 0;
                for (int k = 0; k < counted; k++)
                {
                    int i = live[k];
                    if (i < next)
                    {
                        continue;
                    }

                    if (table.Visit(slots[k]) > 1)
                    {
                        repeated += prefix[i + n] - prefix[i];
                        next = i + n;
                    }
                    else
                    {
                        next = i + 1;
                    }
                }

                if (repeated == 0)
                {
                    return FilterDecision.Keep;
                }

                if (Exceeds(repeated / length, options.MaxDuplicateNGramCharFraction[n - 5], QualityRules.RepetitionDuplicateNGram(n), "of characters are in duplicated {0}-grams", n, out drop))
                {
                    return drop;
                }
            }

            liveCount = 0;
            for (int k = 0; k < counted; k++)
            {
                // Without a branch: whether an n-gram repeats is a coin toss the predictor would often lose.
                live[liveCount] = live[k];
                liveCount += table.CountAt(slots[k]) > 1 ? 1 : 0;
            }

            table.Reset(liveCount);
        }

        return FilterDecision.Keep;
    }

    /// <summary>Extends the (n-1)-gram at each live position that has room by its n-th word and counts it in
    /// <paramref name="table"/>, noting its slot; returns how many positions were counted (a prefix of the live ones).</summary>
    static int Extend(int n, ReadOnlySpan<int> live, ReadOnlySpan<ulong> hashes, Span<ulong> grams, Span<int> slots, HashCounter table)
    {
        int counted = 0;
        for (; counted < live.Length && live[counted] + n <= hashes.Length; counted++)
        {
            int i = live[counted];
            ulong gram = NGramStep(grams[i], hashes[i + n - 1]);
            grams[i] = gram;
            slots[counted] = table.Add(gram, i);
        }

        return counted;
    }

    /// <summary>The first step of <see cref="NGrams"/>, apart so its loop keeps its values in registers: each word's hash,
    /// the characters before each word, the hash of the 1-gram at each word, and every position as live.</summary>
    static void HashWords(ReadOnlySpan<char> text, ReadOnlySpan<int> starts, ReadOnlySpan<int> ends, Span<ulong> hashes, Span<int> prefix, Span<ulong> grams, Span<int> live)
    {
        ends = ends[..starts.Length];
        hashes = hashes[..starts.Length];
        grams = grams[..starts.Length];
        live = live[..starts.Length];
        prefix = prefix[..(starts.Length + 1)];
        int before = 0;
        prefix[0] = 0;
        for (int i = 0; i < starts.Length; i++)
        {
            int length = ends[i] - starts[i];
            ulong hash = TextScan.HashWord(text, starts[i], length);
            hashes[i] = hash;
            prefix[i + 1] = before += length;

            // grams[i] is the hash of the n-gram starting at word i; each pass extends it by one word (see NGramStep).
            grams[i] = NGramStep(NGramSeed, hash);
            live[i] = i;
        }
    }

    /// <summary>This thread's per-word arrays of <see cref="NGrams"/>: one thread-static read per record, where renting
    /// five pooled arrays and returning them costs ten.</summary>
    sealed class NGramScratch
    {
        [ThreadStatic]
        static NGramScratch? perThread;

        int[] prefix = [];
        ulong[] hashes = [];
        ulong[] grams = [];
        int[] live = [];
        int[] slots = [];

        /// <summary>Word prefix lengths (words + 1), word hashes, n-gram hashes, live positions and their table slots.</summary>
        public static (int[] Prefix, ulong[] Hashes, ulong[] Grams, int[] Live, int[] Slots) For(int words)
        {
            // Past half a million words a record gets arrays of its own, so a thread does not keep them.
            NGramScratch scratch = words > (1 << 19) ? new NGramScratch() : perThread ??= new NGramScratch();
            if (scratch.hashes.Length < words)
            {
                int size = (int)Math.Min(Array.MaxLength - 1, BitOperations.RoundUpToPowerOf2((uint)Math.Max(256, words)));
                scratch.prefix = new int[size + 1];
                scratch.hashes = new ulong[size];
                scratch.grams = new ulong[size];
                scratch.live = new int[size];
                scratch.slots = new int[size];
            }

            return (scratch.prefix, scratch.hashes, scratch.grams, scratch.live, scratch.slots);
        }
    }

    const ulong NGramSeed = 0x9E3779B97F4A7C15UL;

    /// <summary>An n-gram's hash is <c>NGramStep</c> folded over its word hashes from <see cref="NGramSeed"/>, so the
    /// (n+1)-gram at a word is one step from the n-gram there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong NGramStep(ulong h, ulong word) => (BitOperations.RotateLeft(h, 23) ^ word) * 0x100000001B3UL;

    /// <summary>Paragraphs are runs of non-blank lines; a text without a blank line is one paragraph.</summary>
    static (int Count, int Duplicates, int DuplicateChars) DuplicateParagraphs(ReadOnlySpan<char> text)
    {
        if (!text.Contains('\n'))
        {
            // One paragraph (or none, counted as one) repeats nothing: no need to hash it.
            return (1, 0, 0);
        }

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

    /// <summary>The line breaks of <see cref="MemoryExtensions.EnumerateLines(ReadOnlySpan{char})"/>.</summary>
    static readonly SearchValues<char> LineBreaks = SearchValues.Create("\r\n\f\u0085\u2028\u2029");

    static readonly SearchValues<char> OtherLineBreaks = SearchValues.Create("\r\f\u0085\u2028\u2029");

    static int CountLineBreaks(ReadOnlySpan<char> text)
    {
        int n = 0;
        for (int i; (i = text.IndexOfAny(LineBreaks)) >= 0; text = text[(i + 1)..])
        {
            n++;
        }

        return n;
    }

    static (int Count, int Duplicates, int DuplicateChars) DuplicateLines(ReadOnlySpan<char> text)
    {
        if (!text.ContainsAny(LineBreaks))
        {
            // One line (or none, when it is blank) repeats nothing: no need to hash it.
            return (text.IsWhiteSpace() ? 0 : 1, 0, 0);
        }

        // Sized by every kind of line break the enumeration splits at: a table sized by line feeds alone filled up on
        // text with lone carriage returns, and its probe for a free slot never ended.
        int breaks = text.ContainsAny(OtherLineBreaks) ? CountLineBreaks(text) : text.Count('\n');
        HashCounter table = HashCounter.Rent(Math.Max(16, breaks + 1));
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
