namespace GenAiServerless.Data.Quality;

/// <summary>Thresholds of <see cref="GopherQualityFilter"/>; the defaults are those published with Gopher
/// (Rae et al. 2021, appendix A) as datatrove's <c>GopherQualityFilter</c> implements them.</summary>
/// <remarks>The rules were designed for web documents. A short record (a chat turn, a one-line answer) fails the
/// 50-word minimum and the stop-word rule by construction: for such data lower <see cref="MinWords"/> and
/// <see cref="MinStopWords"/> per model (see <see cref="QualityPolicy.ShortRecords"/>).</remarks>
public sealed record GopherQualityOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Minimum number of words (tokens with a letter or digit). Published: 50. Lower it for short records.</summary>
    public int MinWords { get; init; } = 50;

    public int MaxWords { get; init; } = 100_000;

    public double MinMeanWordLength { get; init; } = 3;

    public double MaxMeanWordLength { get; init; } = 10;

    /// <summary>Maximum count of <c>#</c>, and separately of ellipses (<c>...</c>, <c>…</c>), per word.</summary>
    public double MaxSymbolToWordRatio { get; init; } = 0.1;

    /// <summary>Maximum fraction of non-blank lines starting with a bullet (•, ‣, ◦, ▪, ·, -, *, –).</summary>
    public double MaxBulletLineFraction { get; init; } = 0.9;

    public double MaxEllipsisLineFraction { get; init; } = 0.3;

    /// <summary>Minimum fraction of tokens containing at least one letter.</summary>
    public double MinAlphabeticWordFraction { get; init; } = 0.8;

    /// <summary>Minimum occurrences of <see cref="StopWords"/> (case-insensitive). Published: 2. Lower it for short records.</summary>
    public int MinStopWords { get; init; } = 2;

    public IReadOnlyList<string> StopWords { get; init; } = ["the", "be", "to", "of", "and", "that", "have", "with"];
}

/// <summary>The Gopher document quality heuristics: word count, mean word length, symbol ratios, bullet and ellipsis
/// lines, alphabetic words, stop words. Pure, allocation-free on a keep, thread-safe.</summary>
/// <remarks>Words are whitespace-separated tokens with leading/trailing punctuation trimmed for length and stop-word
/// checks; a token of punctuation only ("-", "...") is a symbol, not a word. Blank lines are ignored by the line rules.
/// Rules run in the published order and the first failing one is reported.</remarks>
public sealed class GopherQualityFilter
{
    readonly GopherQualityOptions options;
    readonly WordTable<WordRole> stopWords;

    public GopherQualityFilter(GopherQualityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        var words = new Dictionary<string, WordRole>(StringComparer.OrdinalIgnoreCase);
        foreach (string? word in options.StopWords)
        {
            // A null stop word matches no word (a set of strings would hold it and never match it).
            if (word is not null)
            {
                words[word] = WordRole.Stop;
            }
        }

        stopWords = new WordTable<WordRole>(words);
    }

    /// <summary>False when the options turn the filter off (every record is kept).</summary>
    internal bool Enabled => options.Enabled;

    /// <summary>The stop words, for a word scan shared with other rules (see <see cref="TokenList.CountWords"/>).</summary>
    internal WordTable<WordRole> StopWords => stopWords;

    public FilterDecision Evaluate(ReadOnlySpan<char> text) =>
        options.Enabled ? Evaluate(text, TokenList.Scan(text).CountWords(text, stopWords)) : FilterDecision.Keep;

    /// <summary>As <see cref="Evaluate(ReadOnlySpan{char})"/>, with the word counts of <paramref name="text"/> already
    /// taken with <see cref="StopWords"/>.</summary>
    internal FilterDecision Evaluate(ReadOnlySpan<char> text, in WordCounts counts)
    {
        if (!options.Enabled)
        {
            return FilterDecision.Keep;
        }

        (int tokens, int words, long wordChars, int alphabetic, int stops) = (counts.Tokens, counts.Words, counts.WordChars, counts.Alphabetic, counts.StopWords);
        if (words < options.MinWords)
        {
            return FilterDecision.Drop(QualityRules.GopherMinWords, $"{words} words; minimum {options.MinWords}");
        }

        if (words > options.MaxWords)
        {
            return FilterDecision.Drop(QualityRules.GopherMaxWords, $"{words} words; maximum {options.MaxWords}");
        }

        double mean = words == 0 ? 0 : (double)wordChars / words;
        if (words > 0 && (mean < options.MinMeanWordLength || mean > options.MaxMeanWordLength))
        {
            return FilterDecision.Drop(
                QualityRules.GopherMeanWordLength,
                $"mean word length {TextScan.Ratio(mean)}; allowed {TextScan.Ratio(options.MinMeanWordLength)}–{TextScan.Ratio(options.MaxMeanWordLength)}");
        }

        int perWord = Math.Max(words, 1);
        double hashes = (double)text.Count('#') / perWord;
        if (hashes > options.MaxSymbolToWordRatio)
        {
            return FilterDecision.Drop(
                QualityRules.GopherHashRatio,
                $"{TextScan.Ratio(hashes)} '#' per word; maximum {TextScan.Ratio(options.MaxSymbolToWordRatio)}");
        }

        double ellipses = (double)(text.Count("...") + text.Count('…')) / perWord;
        if (ellipses > options.MaxSymbolToWordRatio)
        {
            return FilterDecision.Drop(
                QualityRules.GopherEllipsisRatio,
                $"{TextScan.Ratio(ellipses)} ellipses per word; maximum {TextScan.Ratio(options.MaxSymbolToWordRatio)}");
        }

        int lines = 0;
        int bullets = 0;
        int ellipsisLines = 0;
        foreach (ReadOnlySpan<char> raw in text.EnumerateLines())
        {
            ReadOnlySpan<char> line = raw.Trim();
            if (line.IsEmpty)
            {
                continue;
            }

            lines++;
            bullets += line[0] is '•' or '‣' or '◦' or '▪' or '·' or '-' or '*' or '–' ? 1 : 0;
            ellipsisLines += line.EndsWith("...", StringComparison.Ordinal) || line[^1] == '…' ? 1 : 0;
        }

        double bulletFraction = lines == 0 ? 0 : (double)bullets / lines;
        if (bulletFraction > options.MaxBulletLineFraction)
        {
            return FilterDecision.Drop(
                QualityRules.GopherBulletLines,
                $"{TextScan.Ratio(bulletFraction)} of lines start with a bullet; maximum {TextScan.Ratio(options.MaxBulletLineFraction)}");
        }

        double ellipsisFraction = lines == 0 ? 0 : (double)ellipsisLines / lines;
        if (ellipsisFraction > options.MaxEllipsisLineFraction)
        {
            return FilterDecision.Drop(
                QualityRules.GopherEllipsisLines,
                $"{TextScan.Ratio(ellipsisFraction)} of lines end with an ellipsis; maximum {TextScan.Ratio(options.MaxEllipsisLineFraction)}");
        }

        double alphaFraction = tokens == 0 ? 0 : (double)alphabetic / tokens;
        if (tokens > 0 && alphaFraction < options.MinAlphabeticWordFraction)
        {
            return FilterDecision.Drop(
                QualityRules.GopherAlphabeticWords,
                $"{TextScan.Ratio(alphaFraction)} of words contain a letter; minimum {TextScan.Ratio(options.MinAlphabeticWordFraction)}");
        }

        if (stops < options.MinStopWords)
        {
            return FilterDecision.Drop(QualityRules.GopherStopWords, $"{stops} stop words; minimum {options.MinStopWords}");
        }

        return FilterDecision.Keep;
    }
}
