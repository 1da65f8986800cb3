namespace GenAiServerless.Data.Quality;

/// <summary>The verdict of one quality rule: kept, or dropped by a machine-readable rule with a human detail.</summary>
/// <remarks>The rule name (<c>filter:rule</c>, see <see cref="QualityRules"/>) is what the manifest counts; the detail
/// says the measured value against the threshold and is built only when a record is dropped.</remarks>
public readonly record struct FilterDecision(bool Kept, string? Rule, string? Detail)
{
    public static FilterDecision Keep => new(true, null, null);

    public static FilterDecision Drop(string rule, string detail) => new(false, rule, detail);
}

/// <summary>Every rule name a quality filter can drop a record (or, for C4, a line) with.</summary>
public static class QualityRules
{
    /// <summary>The PII scan exceeded its regex time budget; the record is dropped because it could not be proven clean.</summary>
    public const string PiiTimeout = "pii:timeout";

    public const string GopherMinWords = "gopher_quality:min_words";
    public const string GopherMaxWords = "gopher_quality:max_words";
    public const string GopherMeanWordLength = "gopher_quality:mean_word_length";
    public const string GopherHashRatio = "gopher_quality:hash_to_word_ratio";
    public const string GopherEllipsisRatio = "gopher_quality:ellipsis_to_word_ratio";
    public const string GopherBulletLines = "gopher_quality:bullet_lines";
    public const string GopherEllipsisLines = "gopher_quality:ellipsis_lines";
    public const string GopherAlphabeticWords = "gopher_quality:alphabetic_words";
    public const string GopherStopWords = "gopher_quality:stop_words";

    public const string RepetitionDuplicateLines = "gopher_repetition:dup_line_fraction";
    public const string RepetitionDuplicateParagraphs = "gopher_repetition:dup_paragraph_fraction";
    public const string RepetitionDuplicateLineChars = "gopher_repetition:dup_line_char_fraction";
    public const string RepetitionDuplicateParagraphChars = "gopher_repetition:dup_paragraph_char_fraction";

    /// <summary>The rule for the most frequent word n-gram (n = 2, 3, 4): <c>gopher_repetition:top_2gram_char_fraction</c>.</summary>
    public static string RepetitionTopNGram(int n) => n switch
    {
        2 => "gopher_repetition:top_2gram_char_fraction",
        3 => "gopher_repetition:top_3gram_char_fraction",
        4 => "gopher_repetition:top_4gram_char_fraction",
        _ => $"gopher_repetition:top_{n}gram_char_fraction",
    };

    /// <summary>The rule for duplicated word n-grams (n = 5..10): <c>gopher_repetition:dup_5gram_char_fraction</c>.</summary>
    public static string RepetitionDuplicateNGram(int n) => n switch
    {
        5 => "gopher_repetition:dup_5gram_char_fraction",
        6 => "gopher_repetition:dup_6gram_char_fraction",
        7 => "gopher_repetition:dup_7gram_char_fraction",
        8 => "gopher_repetition:dup_8gram_char_fraction",
        9 => "gopher_repetition:dup_9gram_char_fraction",
        10 => "gopher_repetition:dup_10gram_char_fraction",
        _ => $"gopher_repetition:dup_{n}gram_char_fraction",
    };

    // C4: the first three drop the whole document, the rest drop one line.
    public const string C4LoremIpsum = "c4:lorem_ipsum";
    public const string C4CurlyBracket = "c4:curly_bracket";
    public const string C4TooFewSentences = "c4:too_few_sentences";
    public const string C4NoTerminalPunctuation = "c4:no_terminal_punctuation";
    public const string C4TooFewWords = "c4:too_few_words";
    public const string C4TooLongWord = "c4:too_long_word";
    public const string C4Javascript = "c4:javascript";
    public const string C4Policy = "c4:policy";

    public const string Toxicity = "toxicity:score";
}
