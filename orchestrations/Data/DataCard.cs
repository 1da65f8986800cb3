using System.Globalization;
using System.Text;

namespace GenAiServerless.Data;

/// <summary>The human-readable data card written beside each manifest: what went in, what came out, and why every
/// record that did not make it was left out.</summary>
static class DataCard
{
    public static string Render(DataPrepInput input, DataCounts counts)
    {
        IReadOnlyDictionary<string, long> rejectReasons = counts.RejectReasons;
        IReadOnlyList<string> quarantinedFiles = counts.QuarantinedFiles;
        var md = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"# Data card — {input.Model}, run {input.RunId}");
        md.AppendLine();
        md.AppendLine(c, $"Curated by {DataStage.ToolVersion} with quality preset `{input.Policy.QualityPreset}`, splits {1 - input.Policy.ValidationFraction - input.Policy.TestFraction:P0} / {input.Policy.ValidationFraction:P0} / {input.Policy.TestFraction:P0} (train / validation / test, by a hash of the record id), at most {input.Policy.MaxRecordChars} characters per record.");
        md.AppendLine();
        md.AppendLine("## Inputs");
        md.AppendLine();
        md.AppendLine("| file | ETag | bytes |");
        md.AppendLine("|---|---|---|");
        foreach (var drop in input.Drops)
        {
            md.AppendLine(c, $"| `{drop.BlobName}` | `{drop.ETag.Trim('"')}` | {drop.Length} |");
        }

        md.AppendLine();
        md.AppendLine("## Where every record went");
        md.AppendLine();
        md.AppendLine("| outcome | records |");
        md.AppendLine("|---|---|");
        md.AppendLine(c, $"| read | {counts.Read} |");
        md.AppendLine(c, $"| curated | {counts.Curated} (train {counts.Train}, validation {counts.Validation}, test {counts.Test}) |");
        md.AppendLine(c, $"| quarantined (invalid) | {counts.Quarantined} |");
        md.AppendLine(c, $"| dropped: exact duplicate | {counts.ExactDuplicates} |");
        md.AppendLine(c, $"| dropped: near duplicate | {counts.NearDuplicates} |");
        foreach ((string rule, long count) in counts.FilteredByRule.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            md.AppendLine(c, $"| dropped: `{rule}` | {count} |");
        }

        if (rejectReasons.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Quarantine reasons: " + string.Join(", ", rejectReasons.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"`{r.Key}` {r.Value}")) + ".");
        }

        if (quarantinedFiles.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Files quarantined whole:");
            foreach (string f in quarantinedFiles)
            {
                md.AppendLine(c, $"- {f}");
            }
        }

        md.AppendLine();
        md.AppendLine("## PII redacted in curated records");
        md.AppendLine();
        md.AppendLine(c, $"e-mail {counts.Pii.Email}, phone {counts.Pii.Phone}, payment card {counts.Pii.Card}, IBAN {counts.Pii.Iban}, IP {counts.Pii.Ip}, national id {counts.Pii.NationalId}, secret {counts.Pii.Secret}.");
        md.AppendLine();
        md.AppendLine("## Outputs");
        md.AppendLine();
        md.AppendLine("| shard | split | records | SHA-256 |");
        md.AppendLine("|---|---|---|---|");
        foreach (ShardInfo s in counts.Outputs)
        {
            md.AppendLine(c, $"| `{s.Blob}` | {s.Split.ToString().ToLowerInvariant()} | {s.Records} | `{s.Sha256[..16]}…` |");
        }

        md.AppendLine();
        md.AppendLine("Every dropped record is listed in `dropped.jsonl` (id, source file:line, rule, and the record it duplicates); every quarantined one in the quarantine's `records.jsonl` with its original text.");
        return md.ToString();
    }
}
