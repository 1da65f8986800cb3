using System.IO.Hashing;
using System.Text;
using System.Text.Json;

namespace GenAiServerless.Data;

/// <summary>Validates, normalises, deduplicates and splits JSONL records. Pure: no I/O beyond the reader it is given.</summary>
/// <remarks>A record is an object with a non-empty <c>text</c>, or non-empty <c>prompt</c> and <c>response</c>.
/// The optional <c>id</c> (string or number) keeps the split stable across reruns; without one the id is a hash
/// of the normalised text, which is just as stable.</remarks>
public sealed class RecordCurator(double validationFraction, double testFraction, int maxRecordChars)
{
    /// <summary>Every record kept so far (across files): its text hash and id.</summary>
    readonly Dictionary<UInt128, string> seen = [];

    /// <summary>Records read, including blank lines skipped.</summary>
    public long RecordsRead { get; private set; }

    public long ExactDuplicates { get; private set; }

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
        Action<CuratedRecord, string> duplicates)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(curated);
        ArgumentNullException.ThrowIfNull(rejected);
        ArgumentNullException.ThrowIfNull(duplicates);
        var fileKeys = new Dictionary<UInt128, string>();
        var kept = new List<CuratedRecord>();
        var bad = new List<RejectedRecord>();
        var dups = new List<(CuratedRecord Record, string Of)>();
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
        if (kept.Count == 0 && dups.Count == 0 && invalidJson == nonBlank)
        {
            return new RejectedFile(file, $"not JSONL: no line is a JSON record ({firstError})");
        }

        RecordsRead += nonBlank;
        ExactDuplicates += dups.Count;
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

/// <summary>Text normalisation applied to every record: Unicode NFKC, control characters dropped, whitespace collapsed.</summary>
public static class TextNormalizer
{
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string nfkc = text.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(nfkc.Length);
        bool pendingSpace = false;
        foreach (char c in nfkc)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }

            if (char.IsControl(c))
            {
                continue;
            }

            if (pendingSpace)
            {
                sb.Append(' ');
                pendingSpace = false;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
