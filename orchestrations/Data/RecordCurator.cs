using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data.Quality;

namespace GenAiServerless.Data;

/// <summary>Validates, normalises, deduplicates and splits JSONL records. Pure: no I/O beyond the reader it is given.</summary>
/// <remarks>A record is an object with a non-empty <c>text</c>, or non-empty <c>prompt</c> and <c>response</c>.
/// The optional <c>id</c> (string or number) keeps the split stable across reruns; without one the id is a hash
/// of the normalised text, which is just as stable.</remarks>
public sealed class RecordCurator(double validationFraction, double testFraction, int maxRecordChars, QualityPipeline? quality = null)
{
    /// <summary>Every record kept so far (across files): its text hash and id.</summary>
    readonly Dictionary<UInt128, string> seen = [];

    /// <summary>Records read, including blank lines skipped.</summary>
    public long RecordsRead { get; private set; }

    public long ExactDuplicates { get; private set; }

    /// <summary>PII found and redacted in kept records, by type.</summary>
    public PiiCounts Pii { get; private set; }

    /// <summary>Records dropped by a quality rule, by rule.</summary>
    public Dictionary<string, long> FilteredByRule { get; } = new(StringComparer.Ordinal);

    /// <summary>Curates one file's lines. Good records go to <paramref name="curated"/>, bad ones to
    /// <paramref name="rejected"/>, exact duplicates (of any record seen so far, across files) to
    /// <paramref name="duplicates"/> with the id of the record they duplicate.</summary>
    /// <remarks>A file's outcome is committed only once the whole file has been read: a file rejected as a whole
    /// (say, invalid UTF-8 near its end) contributes no record, no duplicate key and no count.</remarks>
    /// <returns>Null when the file was read; a reason when the whole file must be quarantined.</returns>
    public RejectedFile? CurateFile(
        string file,
        TextReader reader,
        Action<CuratedRecord> curated,
        Action<RejectedRecord> rejected,
        Action<CuratedRecord, string> duplicates,
        Action<CuratedRecord, FilterDecision>? filtered = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(curated);
        ArgumentNullException.ThrowIfNull(rejected);
        ArgumentNullException.ThrowIfNull(duplicates);
        var fileKeys = new Dictionary<UInt128, string>();
        var kept = new List<CuratedRecord>();
        var bad = new List<RejectedRecord>();
        var dups = new List<(CuratedRecord Record, string Of)>();
        var dropped = new List<(CuratedRecord Record, FilterDecision Decision)>();
        PiiCounts pii = default;
        long line = 0;
        long nonBlank = 0;
        long invalidJson = 0;
        string? firstError = null;
        string? raw;
        try
        {
            while ((raw = reader.ReadLine()) is not null)
            {
                line++;
                if (string.IsNullOrWhiteSpace(raw))
                {
                    continue;
                }

                nonBlank++;
                (CuratedRecord? record, string? reason, string? detail) = Parse(file, line, raw);
                if (record is null)
                {
                    firstError ??= $"line {line}: {detail}";
                    invalidJson += reason == "invalid_json" ? 1 : 0;
                    bad.Add(new RejectedRecord(file, line, reason!, detail!, raw));
                    continue;
                }

                if (quality is not null)
                {
                    // Quality after normalising and before deduplication, so the hash sees the text as it will be kept.
                    QualityOutcome outcome = quality.Apply(record.Text);
                    if (!outcome.Kept)
                    {
                        dropped.Add((record, outcome.Decision));
                        continue;
                    }

                    pii += outcome.Pii;
                    record = record with
                    {
                        Text = outcome.Text!,
                        Prompt = record.Prompt is null ? null : PiiRedactor.All.Redact(record.Prompt).Text,
                        Response = record.Response is null ? null : PiiRedactor.All.Redact(record.Response).Text,
                    };
                }

                UInt128 key = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(record.Text));
                if (seen.TryGetValue(key, out string? first) || fileKeys.TryGetValue(key, out first))
                {
                    dups.Add((record, first));
                    continue;
                }

                fileKeys[key] = record.Id;
                kept.Add(record);
            }
        }
        catch (DecoderFallbackException e)
        {
            return new RejectedFile(file, $"not UTF-8 text: invalid byte sequence after line {line} ({e.Message})");
        }

        if (nonBlank == 0)
        {
            return new RejectedFile(file, "no records: the file is empty or holds only blank lines");
        }

        // Every line failed to parse: the file is not JSONL at all (a CSV, a binary, a pretty-printed document);
        // quarantine it whole rather than as thousands of identical record errors.
        if (kept.Count == 0 && dups.Count == 0 && dropped.Count == 0 && invalidJson == nonBlank)
        {
            return new RejectedFile(file, $"not JSONL: no line is a JSON record ({firstError})");
        }

        RecordsRead += nonBlank;
        ExactDuplicates += dups.Count;
        Pii += pii;
        foreach ((CuratedRecord record, FilterDecision decision) in dropped)
        {
            string rule = decision.Rule ?? "quality";
            FilteredByRule[rule] = FilteredByRule.GetValueOrDefault(rule) + 1;
            if (filtered is not null)
            {
                filtered(record, decision);
            }
            else
            {
                // No one to hand a filtered record to: it goes to the quarantine rather than vanishing.
                rejected(new RejectedRecord(file, long.Parse(record.Source[(record.Source.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture), rule, decision.Detail ?? rule, record.Text));
            }
        }

        foreach ((UInt128 key, string id) in fileKeys)
        {
            seen[key] = id;
        }

        kept.ForEach(curated);
        bad.ForEach(rejected);
        dups.ForEach(d => duplicates(d.Record, d.Of));
        return null;
    }

    (CuratedRecord?, string?, string?) Parse(string file, long line, string raw)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(raw);
        }
        catch (JsonException e)
        {
            return (null, "invalid_json", $"not valid JSON: {e.Message}");
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "not_an_object", $"expected a JSON object, found {root.ValueKind}");
            }

            string? text = StringField(root, "text");
            string? prompt = StringField(root, "prompt");
            string? response = StringField(root, "response");
            if (text is null && (prompt is null || response is null))
            {
                string missing = prompt is not null ? "'response'" : response is not null ? "'prompt'" : "'text' (or 'prompt' and 'response')";
                return (null, "missing_text", $"field {missing} is missing, empty or not a string");
            }

            prompt = prompt is null ? null : TextNormalizer.Normalize(prompt);
            response = response is null ? null : TextNormalizer.Normalize(response);
            string normalized = text is not null ? TextNormalizer.Normalize(text) : $"{prompt}\n{response}";
            if (normalized.Trim().Length == 0)
            {
                return (null, "missing_text", "text is empty after normalisation");
            }

            if (normalized.Length > maxRecordChars)
            {
                return (null, "too_long", $"text has {normalized.Length} characters; the limit is {maxRecordChars}");
            }

            string id = root.TryGetProperty("id", out JsonElement idEl) && idEl.ValueKind is JsonValueKind.String or JsonValueKind.Number
                ? idEl.ToString()
                : "h" + XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(normalized)).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
            if (id.Length == 0)
            {
                return (null, "invalid_id", "field 'id' is empty");
            }

            return (new CuratedRecord(id, normalized, prompt, response, $"{file}:{line}", SplitOf(id)), null, null);
        }
    }

    static string? StringField(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement el) && el.ValueKind == JsonValueKind.String && el.GetString() is { Length: > 0 } s && s.Trim().Length > 0
            ? s
            : null;

    /// <summary>The split of a record id: a fixed function of the id alone, so it is stable across reruns and drops.</summary>
    public DataSplit SplitOf(string id)
    {
        ulong h = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(id), seed: 0x5EED);
        double u = (h >> 11) * (1.0 / (1UL << 53));
        return u < testFraction ? DataSplit.Test : u < testFraction + validationFraction ? DataSplit.Validation : DataSplit.Train;
    }
}

/// <summary>Text normalisation applied to every record: Unicode NFKC, control characters dropped, whitespace collapsed
/// within each line; line breaks are kept (the line and paragraph rules of the quality filters need them), with runs
/// of blank lines squeezed to one and the text trimmed.</summary>
public static class TextNormalizer
{
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string nfkc = text.Normalize(NormalizationForm.FormKC).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var sb = new StringBuilder(nfkc.Length);
        int newlines = 0;
        bool pendingSpace = false;
        foreach (char c in nfkc)
        {
            if (c == '\n')
            {
                newlines++;
                pendingSpace = false;
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                pendingSpace = true;
                continue;
            }

            if (char.IsControl(c))
            {
                continue;
            }

            if (sb.Length > 0)
            {
                if (newlines > 0)
                {
                    sb.Append(newlines > 1 ? "\n\n" : "\n");
                }
                else if (pendingSpace)
                {
                    sb.Append(' ');
                }
            }

            newlines = 0;
            pendingSpace = false;
            sb.Append(c);
        }

        return sb.ToString();
    }
}
