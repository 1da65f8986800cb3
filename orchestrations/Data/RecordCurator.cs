using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data.Inputs;
using GenAiServerless.Data.Quality;

namespace GenAiServerless.Data;

/// <summary>Validates, normalises, deduplicates and splits JSONL records. Pure: no I/O beyond the reader it is given.</summary>
/// <remarks>A record is an object with a non-empty <c>text</c>, or non-empty <c>prompt</c> and <c>response</c>.
/// The optional <c>id</c> (string or number) keeps the split stable across reruns; without one the id is a hash
/// of the normalised text, which is just as stable.</remarks>
public sealed class RecordCurator(double validationFraction, double testFraction, int maxRecordChars, QualityPipeline? quality = null, RecordSchema? schema = null)
{
    /// <summary>Every record kept so far (across files): its text hash and id.</summary>
    readonly Dictionary<UInt128, string> seen = [];
    readonly RecordPreparer preparer = new(validationFraction, testFraction, maxRecordChars, quality, schema);

    /// <summary>Records read, including blank lines skipped.</summary>
    public long RecordsRead { get; private set; }

    public long ExactDuplicates { get; private set; }

    /// <summary>PII found and redacted in kept records, by type.</summary>
    public PiiCounts Pii { get; private set; }

    /// <summary>Records dropped by a quality rule, by rule.</summary>
    public Dictionary<string, long> FilteredByRule { get; } = new(StringComparer.Ordinal);

    /// <summary>Curates one file's JSONL lines. Good records go to <paramref name="curated"/>, bad ones to
    /// <paramref name="rejected"/>, exact duplicates (of any record seen so far, across files) to
    /// <paramref name="duplicates"/> with the id of the record they duplicate, records a quality rule drops to
    /// <paramref name="filtered"/> (or, without it, to <paramref name="rejected"/>).</summary>
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
        var pass = new FilePass(this, file);
        long line = 0;
        string? raw;
        try
        {
            while ((raw = reader.ReadLine()) is not null)
            {
                line++;
                if (!string.IsNullOrWhiteSpace(raw))
                {
                    pass.Add(line, raw, raw);
                }
            }
        }
        catch (DecoderFallbackException e)
        {
            return new RejectedFile(file, $"not UTF-8 text: invalid byte sequence after line {line} ({e.Message})");
        }

        return pass.Finish(curated, rejected, duplicates, filtered);
    }

    /// <summary>Curates one file read by <see cref="InputReader"/> (JSONL, gzip, CSV, Parquet), with the same rules and
    /// callbacks as <see cref="CurateFile"/>.</summary>
    public async Task<RejectedFile?> CurateFileAsync(
        string file,
        IAsyncEnumerable<SourceItem> items,
        Action<CuratedRecord> curated,
        Action<RejectedRecord> rejected,
        Action<CuratedRecord, string> duplicates,
        Action<CuratedRecord, FilterDecision>? filtered = null)
    {
        ArgumentNullException.ThrowIfNull(items);
        var pass = new FilePass(this, file);
        try
        {
            await foreach (SourceItem item in items)
            {
                switch (item)
                {
                    case SourceRecord r:
                        pass.Add(r.Position, r.Json, r.RawForQuarantine);
                        break;
                    case UnreadableRecord u:
                        pass.AddUnreadable(u.ToRejectedRecord());
                        break;
                }
            }
        }
        catch (UnreadableFileException e)
        {
            return new RejectedFile(file, e.Reason);
        }

        return pass.Finish(curated, rejected, duplicates, filtered);
    }

    /// <summary>One file's records, held until the whole file has been read.</summary>
    sealed class FilePass(RecordCurator owner, string file)
    {
        readonly Dictionary<UInt128, string> fileKeys = [];
        readonly List<CuratedRecord> kept = [];
        readonly List<RejectedRecord> bad = [];
        readonly List<(CuratedRecord Record, string Of)> dups = [];
        readonly List<(CuratedRecord Record, FilterDecision Decision)> dropped = [];
        PiiCounts pii;
        long records;
        long invalidJson;
        string? firstError;

        public void AddUnreadable(RejectedRecord record)
        {
            records++;
            firstError ??= $"line {record.Line}: {record.Detail}";
            bad.Add(record);
        }

        public void Add(long position, string json, string raw)
        {
            records++;
            PreparedRecord prepared = owner.preparer.Prepare(file, position, json);
            if (prepared.Record is not { } record)
            {
                firstError ??= $"line {position}: {prepared.Detail}";
                invalidJson += prepared.IsInvalidJson ? 1 : 0;
                bad.Add(new RejectedRecord(file, position, prepared.Reason!, prepared.Detail!, raw));
                return;
            }

            if (prepared.Filtered is { } decision)
            {
                dropped.Add((record, decision));
                return;
            }

            pii += prepared.Pii;
            UInt128 key = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(record.Text));
            if (owner.seen.TryGetValue(key, out string? first) || fileKeys.TryGetValue(key, out first))
            {
                dups.Add((record, first));
                return;
            }

            fileKeys[key] = record.Id;
            kept.Add(record);
        }

        public RejectedFile? Finish(
            Action<CuratedRecord> curated,
            Action<RejectedRecord> rejected,
            Action<CuratedRecord, string> duplicates,
            Action<CuratedRecord, FilterDecision>? filtered)
        {
            ArgumentNullException.ThrowIfNull(curated);
            ArgumentNullException.ThrowIfNull(rejected);
            ArgumentNullException.ThrowIfNull(duplicates);
            if (records == 0)
            {
                return new RejectedFile(file, "no records: the file is empty or holds only blank lines");
            }

            // Every line failed to parse: the file is not JSONL at all (a CSV, a binary, a pretty-printed document);
            // quarantine it whole rather than as thousands of identical record errors.
            if (kept.Count == 0 && dups.Count == 0 && dropped.Count == 0 && invalidJson == records)
            {
                return new RejectedFile(file, $"not JSONL: no line is a JSON record ({firstError})");
            }

            owner.RecordsRead += records;
            owner.ExactDuplicates += dups.Count;
            owner.Pii += pii;
            foreach ((UInt128 key, string id) in fileKeys)
            {
                owner.seen[key] = id;
            }

            kept.ForEach(curated);
            bad.ForEach(rejected);
            dups.ForEach(d => duplicates(d.Record, d.Of));
            foreach ((CuratedRecord record, FilterDecision decision) in dropped)
            {
                string rule = decision.Rule ?? "quality";
                owner.FilteredByRule[rule] = owner.FilteredByRule.GetValueOrDefault(rule) + 1;
                if (filtered is not null)
                {
                    filtered(record, decision);
                }
                else
                {
                    // No one to hand a filtered record to: it goes to the quarantine rather than vanishing.
                    rejected(new RejectedRecord(file, record.Source.Length > 0 ? long.Parse(record.Source[(record.Source.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 0, rule, decision.Detail ?? rule, record.Text));
                }
            }

            return null;
        }
    }

    /// <summary>The split of a record id: a fixed function of the id alone, so it is stable across reruns and drops.</summary>
    public DataSplit SplitOf(string id) => preparer.SplitOf(id);
}
