using System.Buffers;
using System.Text.RegularExpressions;

namespace GenAiServerless.Data.Quality;

/// <summary>Settings of <see cref="C4LineFilter"/>. Defaults are those of the code that built C4 (TensorFlow Datasets
/// <c>c4_utils.py</c>: 5 words per line, 3 sentences per page, words up to 1000 characters, end marks <c>. ? ! "</c>).</summary>
/// <remarks>datatrove's <c>C4QualityFilter</c> swaps the two minimums (3 words per line, 5 sentences); set them per
/// model to match it. Like the Gopher rules these were made for web pages: for chat turns or code, disable the filter.</remarks>
public sealed record C4Options
{
    public bool Enabled { get; init; } = true;

    /// <summary>Lines with fewer words are removed. Published: 5 (datatrove: 3).</summary>
    public int MinWordsPerLine { get; init; } = 5;

    /// <summary>A document whose kept lines hold fewer sentences is dropped. Published: 3 (datatrove: 5).</summary>
    public int MinSentences { get; init; } = 3;

    /// <summary>Lines with a longer word are removed (minified code, base64, URLs run together).</summary>
    public int MaxWordLength { get; init; } = 1000;

    /// <summary>Remove Wikipedia-style citation marks (<c>[1]</c>, <c>[edit]</c>, <c>[citation needed]</c>) before the checks.</summary>
    public bool RemoveCitations { get; init; } = true;

    /// <summary>Characters a kept line must end with. A line ending in "..." never counts as terminated.</summary>
    public string TerminalPunctuation { get; init; } = ".?!\"”";

    public bool DropLoremIpsum { get; init; } = true;

    public bool DropCurlyBracket { get; init; } = true;

    public bool RemoveJavascriptLines { get; init; } = true;

    /// <summary>Lines containing any of these (case-insensitive) are boilerplate and removed.</summary>
    public IReadOnlyList<string> PolicySubstrings { get; init; } =
        ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"];
}

/// <summary>How many lines each C4 line rule removed.</summary>
public readonly record struct C4LineCounts(int NoTerminalPunctuation, int TooFewWords, int TooLongWord, int Javascript, int Policy)
{
    public int Total => NoTerminalPunctuation + TooFewWords + TooLongWord + Javascript + Policy;

    /// <summary>The counts as (rule name, lines) pairs, for the manifest; rules that removed nothing are left out.</summary>
    public IEnumerable<KeyValuePair<string, int>> ByRule()
    {
        (string Rule, int Count)[] all =
        [
            (QualityRules.C4NoTerminalPunctuation, NoTerminalPunctuation),
            (QualityRules.C4TooFewWords, TooFewWords),
            (QualityRules.C4TooLongWord, TooLongWord),
            (QualityRules.C4Javascript, Javascript),
            (QualityRules.C4Policy, Policy),
        ];
        return all.Where(r => r.Count > 0).Select(r => KeyValuePair.Create(r.Rule, r.Count));
    }
}

/// <summary>What <see cref="C4LineFilter"/> did: the document decision, the kept lines joined by <c>\n</c>
/// (null when the document was dropped) and the lines removed per rule.</summary>
public readonly record struct C4Result(FilterDecision Decision, string? Text, C4LineCounts RemovedLines);

/// <summary>The C4 line rules (Raffel et al. 2020, §2.2): keep lines that end in terminal punctuation and have enough
/// words; remove lines mentioning javascript or policy boilerplate; drop the document on "lorem ipsum", a curly
/// bracket, or too few sentences left. Pure, thread-safe.</summary>
/// <remarks>Checks run per line in C4's order, so a line removed earlier (say, a code line without terminal punctuation)
/// never drops the document for its curly bracket — exactly as C4 was built. Lines are trimmed; blank lines are skipped
/// and not counted. Sentences in a kept line are runs of <c>. ! ?</c> followed by a space or the line end (at least one
/// per line), an approximation of C4's Punkt tokenizer. The text is returned unchanged (same instance) when nothing
/// was removed or rewritten.</remarks>
public sealed partial class C4LineFilter
{
    static readonly SearchValues<char> SentenceEnds = SearchValues.Create(".!?");

    readonly C4Options options;

    /// <summary>Every substring the lorem-ipsum, javascript and policy rules look for, in one case-insensitive
    /// multi-string search: a line holding none of them (nearly every line) skips those rules in one scan instead of
    /// eight. Null when a rule's substring cannot be searched that way (an empty one matches everywhere).</summary>
    readonly SearchValues<string>? lineMarkers;

    public C4LineFilter(C4Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        List<string> markers = [.. options.PolicySubstrings];
        if (options.DropLoremIpsum)
        {
            markers.Add("lorem ipsum");
        }

        if (options.RemoveJavascriptLines)
        {
            markers.Add("javascript");
        }

        lineMarkers = markers.TrueForAll(m => !string.IsNullOrEmpty(m))
            ? SearchValues.Create(markers.ToArray(), StringComparison.OrdinalIgnoreCase)
            : null;
    }

    public C4Result Filter(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!options.Enabled)
        {
            return new C4Result(FilterDecision.Keep, text, default);
        }

        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(16, text.Length));
        try
        {
            int written = 0;
            int sentences = 0;
            int noTerminal = 0, tooFew = 0, tooLong = 0, javascript = 0, policy = 0;
            foreach (ReadOnlySpan<char> raw in text.AsSpan().EnumerateLines())
            {
                ReadOnlySpan<char> line = raw.Trim();
                if (line.IsEmpty)
                {
                    continue;
                }

                if (HasLongWord(line))
                {
                    tooLong++;
                    continue;
                }

                // One scan for both brackets: most lines have neither, and removing citations adds no curly bracket.
                bool bracketed = line.ContainsAny('[', '{');
                if (bracketed && options.RemoveCitations && line.Contains('['))
                {
                    line = CitationRegex().Replace(line.ToString(), string.Empty).AsSpan().Trim();
                }

                if (line.IsEmpty || options.TerminalPunctuation.IndexOf(line[^1], StringComparison.Ordinal) < 0 || line.EndsWith("...", StringComparison.Ordinal))
                {
                    noTerminal++;
                    continue;
                }

                if (TextScan.CountWords(line, options.MinWordsPerLine) < options.MinWordsPerLine)
                {
                    tooFew++;
                    continue;
                }

                // Each rule below that searches for a substring can only fire when the line holds a marker.
                bool marked = lineMarkers is null || line.ContainsAny(lineMarkers);
                if (marked && options.DropLoremIpsum && line.Contains("lorem ipsum", StringComparison.OrdinalIgnoreCase))
                {
                    return Dropped(QualityRules.C4LoremIpsum, "the text contains \"lorem ipsum\"");
                }

                if (marked && options.RemoveJavascriptLines && line.Contains("javascript", StringComparison.OrdinalIgnoreCase))
                {
                    javascript++;
                    continue;
                }

                if (bracketed && options.DropCurlyBracket && line.Contains('{'))
                {
                    return Dropped(QualityRules.C4CurlyBracket, "the text contains a curly bracket");
                }

                if (marked && IsPolicy(line))
                {
                    policy++;
                    continue;
                }

                sentences += CountSentences(line);
                if (written > 0)
                {
                    buffer[written++] = '\n';
                }

                line.CopyTo(buffer.AsSpan(written));
                written += line.Length;
            }

            var removed = new C4LineCounts(noTerminal, tooFew, tooLong, javascript, policy);
            if (sentences < options.MinSentences)
            {
                return new C4Result(
                    FilterDecision.Drop(QualityRules.C4TooFewSentences, $"{sentences} sentences in the kept lines; minimum {options.MinSentences}"),
                    null,
                    removed);
            }

            ReadOnlySpan<char> kept = buffer.AsSpan(0, written);
            return new C4Result(FilterDecision.Keep, kept.SequenceEqual(text) ? text : kept.ToString(), removed);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    static C4Result Dropped(string rule, string detail) => new(FilterDecision.Drop(rule, detail), null, default);

    /// <remarks>A word longer than the maximum exists exactly when some window of maximum + 1 characters holds no
    /// whitespace. Each window is read from its end backwards: the last whitespace in it rules out every window that
    /// starts at or before it, so the next window starts just after it, and the characters after it are known to be no
    /// whitespace, so the next window reads back only to them. Ordinary text has a space within a few characters of each
    /// window's end: a long line costs a few character tests per maximum length of text instead of one per character.</remarks>
    bool HasLongWord(ReadOnlySpan<char> line)
    {
        int max = options.MaxWordLength;
        if (line.Length <= max)
        {
            return false;
        }

        // line[start..known] holds no whitespace.
        int start = 0;
        int known = 0;
        while (start + max < line.Length)
        {
            int j = start + max;
            while (j >= known && !char.IsWhiteSpace(line[j]))
            {
                j--;
            }

            if (j < known)
            {
                return true;
            }

            known = start + max + 1;
            start = j + 1;
        }

        return false;
    }

    bool IsPolicy(ReadOnlySpan<char> line)
    {
        IReadOnlyList<string> policies = options.PolicySubstrings;
        for (int i = 0; i < policies.Count; i++)
        {
            // An index loop: foreach over the interface would allocate an enumerator per line.
            if (line.Contains(policies[i], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    static int CountSentences(ReadOnlySpan<char> line)
    {
        int n = 0;
        int i = -1;
        int next;
        while ((next = line[(i + 1)..].IndexOfAny(SentenceEnds)) >= 0)
        {
            i += next + 1;
            if (i + 1 == line.Length || line[i + 1] is ' ' or '"' or '”' or '\'')
            {
                n++;
            }
        }

        return Math.Max(n, 1);
    }

    [GeneratedRegex(@"\[[0-9]*\]|\[edit\]|\[citation needed\]", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, 500)]
    private static partial Regex CitationRegex();
}
