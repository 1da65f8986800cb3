using System.Globalization;
using System.Text;
using System.Text.Json;

namespace GenAiServerless.Local.Demo;

/// <summary>A seeded generator of a small English corpus about operating ML systems, in the pipeline's JSONL drop
/// format, with a few planted problems so the demo shows curation at work: exact duplicates, a malformed line, a
/// record without text and an oversized record.</summary>
public static class SampleCorpus
{
    static readonly string[] Subjects =
    [
        "the model", "the pipeline", "the trainer", "the endpoint", "the gate", "the registry", "the cluster", "the scheduler",
        "the evaluator", "the canary", "the curator", "the spot node", "the orchestrator", "the monitor", "the platform team",
        "the data engineer", "the rollout", "the checkpoint store", "the price catalog", "the alert rule",
    ];

    static readonly string[] Verbs =
    [
        "reads", "writes", "checks", "trains on", "rolls out", "scores", "promotes", "evicts", "resumes", "measures",
        "signs", "compares", "retries", "splits", "redacts", "registers", "watches", "caches", "replays", "retires",
    ];

    static readonly string[] Objects =
    [
        "the curated data", "a new version", "the spot price", "the checkpoint", "the test split", "every record", "the traffic split",
        "the perplexity", "the manifest", "the champion", "the challenger", "the quarantine", "the job ledger", "the data card",
        "the eviction band", "the deployment", "the validation split", "the budget", "the deadline", "the drift report",
    ];

    static readonly string[] Tails =
    [
        "before the deadline", "on a cheap spot gpu", "with a durable timer", "after the bake time", "without losing a record",
        "from the last checkpoint", "at ten percent traffic", "when the gate passes", "every night off peak", "in a few seconds",
        "for the next drop", "under a strict budget", "across two regions", "behind a feature flag", "while the cluster scales",
        "as the schedule says", "once the probe answers", "after a human approves", "inside the data residency", "at half traffic",
    ];

    /// <summary>Writes <paramref name="records"/> good records (plus the planted bad ones) as JSONL.</summary>
    public static string Generate(int records, int seed = 7)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        var lines = new List<string>();
        for (int i = 0; i < records; i++)
        {
            string sentence = $"{Pick(random, Subjects)} {Pick(random, Verbs)} {Pick(random, Objects)} {Pick(random, Tails)}.";
            if (random.Next(3) == 0)
            {
                sentence += $" then {Pick(random, Subjects)} {Pick(random, Verbs)} {Pick(random, Objects)}.";
            }

            string line = random.Next(10) == 0
                ? JsonSerializer.Serialize(new { id = $"r{i.ToString(CultureInfo.InvariantCulture)}", prompt = $"what does {Pick(random, Subjects)} do?", response = sentence })
                : JsonSerializer.Serialize(new { id = $"r{i.ToString(CultureInfo.InvariantCulture)}", text = sentence });
            lines.Add(line);
        }

        // Planted problems: two exact duplicates (new ids, same text), a malformed line, a record without text, an oversized one.
        lines.Add(JsonSerializer.Serialize(new { id = "dup-1", text = JsonDocument.Parse(lines[0]).RootElement.TryGetProperty("text", out JsonElement t) ? t.GetString() : "the model reads the curated data." }));
        lines.Add(lines[1].Replace("\"id\":\"r1\"", "\"id\":\"dup-2\"", StringComparison.Ordinal));
        const string longText = "the pipeline reads every record of the drop, checks that it is well formed, redacts what should not be kept, "
            + "drops exact and near copies across all shards, splits the rest by a hash of the record id, and writes curated shards "
            + "with a manifest that names every input and output, so that a platform engineer can always tell where a record went";
        lines.Add(JsonSerializer.Serialize(new { id = "near-1", text = longText }));
        lines.Add(JsonSerializer.Serialize(new { id = "near-2", text = longText.Replace("platform engineer", "platform team member", StringComparison.Ordinal) }));
        lines.Add("{\"id\": \"broken\", \"text\": \"this line was cut off");
        lines.Add("{\"id\": \"no-text\", \"title\": \"a record without text\"}");
        lines.Add(JsonSerializer.Serialize(new { id = "huge", text = string.Join(' ', Enumerable.Repeat("word", 6000)) }));
        foreach (string line in lines)
        {
            sb.Append(line).Append('\n');
        }

        return sb.ToString();
    }

    static string Pick(Random random, string[] items) => items[random.Next(items.Length)];
}
