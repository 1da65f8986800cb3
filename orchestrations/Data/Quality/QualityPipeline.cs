using System.Text.RegularExpressions;

namespace GenAiServerless.Data.Quality;

/// <summary>The quality policy of one model: which PII to redact and the thresholds of every filter. Travels in the
/// request record so a run is reproducible from its input.</summary>
public sealed record QualityPolicy
{
    /// <summary>Published defaults, for documents (web pages, articles, long answers).</summary>
    public static QualityPolicy Documents { get; } = new();

    /// <summary>For short records (chat turns, one-line answers): the Gopher minimums relaxed to 1 word and 0 stop
    /// words, C4 off (its line rules assume web pages); repetition and toxicity as published.</summary>
    public static QualityPolicy ShortRecords { get; } = new()
    {
        GopherQuality = new GopherQualityOptions { MinWords = 1, MinStopWords = 0 },
        C4 = new C4Options { Enabled = false },
    };

    public bool RedactPii { get; init; } = true;

    public GopherQualityOptions GopherQuality { get; init; } = new();

    public GopherRepetitionOptions GopherRepetition { get; init; } = new();

    public C4Options C4 { get; init; } = new();

    public ToxicityOptions Toxicity { get; init; } = new();
}

/// <summary>What became of one record: kept with its redacted, filtered text, or dropped by <see cref="Decision"/>'s rule.
/// PII and C4 line counts are reported either way.</summary>
public readonly record struct QualityOutcome(FilterDecision Decision, string? Text, PiiCounts Pii, C4LineCounts C4RemovedLines)
{
    public bool Kept => Decision.Kept;
}

/// <summary>Applies, in order: PII redaction → C4 line filter → Gopher quality → Gopher repetition → toxicity, and
/// stops at the first rule that drops the record. Build one per model policy and share it across threads.</summary>
/// <remarks>Cheap when nothing matches: the redactor returns the input string and the C4 filter returns its input
/// when it removed nothing, so a clean record allocates only pooled, reused buffers.</remarks>
public sealed class QualityPipeline
{
    readonly QualityPolicy policy;
    readonly PiiRedactor? redactor;
    readonly C4LineFilter c4;
    readonly GopherQualityFilter gopherQuality;
    readonly GopherRepetitionFilter gopherRepetition;
    readonly IToxicityScorer toxicity;

    /// <summary>The word-list scorer when toxicity is scored with one: its terms are looked up in the shared word scan.</summary>
    readonly WordListToxicityScorer? wordList;

    /// <summary>What the shared word scan looks words up in: the stop words and the scorer's terms, as the rules on need them.</summary>
    readonly WordTable<WordRole>? listed;

    /// <param name="policy">The model's thresholds.</param>
    /// <param name="toxicity">The scorer; by default a <see cref="WordListToxicityScorer"/> over the policy's terms.</param>
    public QualityPipeline(QualityPolicy policy, IToxicityScorer? toxicity = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        this.policy = policy;
        redactor = policy.RedactPii ? PiiRedactor.All : null;
        c4 = new C4LineFilter(policy.C4);
        gopherQuality = new GopherQualityFilter(policy.GopherQuality);
        gopherRepetition = new GopherRepetitionFilter(policy.GopherRepetition);
        this.toxicity = toxicity ?? new WordListToxicityScorer(policy.Toxicity.Terms);
        wordList = policy.Toxicity.Enabled ? this.toxicity as WordListToxicityScorer : null;
        listed = (gopherQuality.Enabled, wordList) switch
        {
            (true, not null) => WordRole.Merge(gopherQuality.StopWords, wordList.Terms),
            (true, null) => gopherQuality.StopWords,
            (false, not null) => wordList.Terms,
            _ => null,
        };
    }

    /// <summary>Curates one normalised text. Line rules need its line breaks: pass text whose newlines survived normalisation.</summary>
    public QualityOutcome Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        PiiCounts pii = default;
        if (redactor is not null)
        {
            try
            {
                (text, pii) = redactor.Redact(text);
            }
            catch (RegexMatchTimeoutException e)
            {
                // Fail closed: a record that could not be scanned in time may still hold PII.
                return new QualityOutcome(
                    FilterDecision.Drop(QualityRules.PiiTimeout, $"a PII pattern exceeded its {e.MatchTimeout.TotalMilliseconds} ms budget on {text.Length} characters"),
                    null,
                    default,
                    default);
            }
        }

        C4Result c4Result = c4.Filter(text);
        if (!c4Result.Decision.Kept)
        {
            return new QualityOutcome(c4Result.Decision, null, pii, c4Result.RemovedLines);
        }

        text = c4Result.Text!;

        // One scan of the words serves the Gopher rules and the word-list scorer (a scorer of another kind reads the text itself).
        TokenList? tokens = null;
        WordCounts counts = default;
        if (gopherQuality.Enabled || gopherRepetition.Enabled || wordList is not null)
        {
            tokens = TokenList.Scan(text);
            counts = tokens.CountWords(text, listed);
        }

        FilterDecision decision = gopherQuality.Evaluate(text, counts);
        if (decision.Kept)
        {
            decision = gopherRepetition.Evaluate(text, tokens);
        }

        if (decision.Kept && policy.Toxicity.Enabled)
        {
            double score = wordList is not null ? WordListToxicityScorer.Score(counts) : toxicity.Score(text);
            if (score >= policy.Toxicity.Threshold)
            {
                decision = FilterDecision.Drop(
                    QualityRules.Toxicity,
                    $"toxicity score {TextScan.Ratio(score)}; threshold {TextScan.Ratio(policy.Toxicity.Threshold)}");
            }
        }

        return new QualityOutcome(decision, decision.Kept ? text : null, pii, c4Result.RemovedLines);
    }
}
