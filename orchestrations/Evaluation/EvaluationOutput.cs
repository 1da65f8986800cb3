using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using GenAiServerless.Platform;

namespace GenAiServerless.Evaluation;

/// <summary>One scored example of <c>examples.jsonl</c>: its set (<c>test</c>, <c>eval</c>), id, size and bits.</summary>
public sealed record ExampleScore(string Set, string Id, long Bytes, double Bits);

/// <summary>One generation of <c>generations.jsonl</c>.</summary>
public sealed record Generation(string Id, string Prompt, string Completion, double? LatencyMs);

/// <summary>What an evaluation job wrote under the job contract: <c>examples.jsonl</c> (per-example bits) and
/// <c>generations.jsonl</c> (completions of the evaluation prompts with their latency).</summary>
public sealed record EvaluationOutput(IReadOnlyList<ExampleScore> Examples, IReadOnlyList<Generation> Generations)
{
    public const string ExamplesFile = "examples.jsonl";
    public const string GenerationsFile = "generations.jsonl";

    /// <summary>Reads both files from a job's output folder (<c>container/prefix/</c>). A missing generations file is
    /// an empty list; a missing examples file, or a line that is not the contract's, fails naming file and line.</summary>
    public static async Task<EvaluationOutput> ReadAsync(PipelineStorage storage, string outputPrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        (BlobContainerClient container, string prefix) = storage.Locate(outputPrefix);
        string examplesPath = $"{outputPrefix}{ExamplesFile}";
        List<ExampleScore> examples = [];
        foreach ((int line, JsonElement row) in await ReadJsonLinesAsync(container, prefix + ExamplesFile, examplesPath, required: true, cancellationToken))
        {
            long bytes = Number(row, "bytes", examplesPath, line) is { } b ? (long)b : 0;
            double bits = Number(row, "bits", examplesPath, line) ?? throw Bad(examplesPath, line, "'bits' is missing");
            examples.Add(new ExampleScore(Text(row, "set", examplesPath, line), Text(row, "id", examplesPath, line), bytes, bits));
        }

        string generationsPath = $"{outputPrefix}{GenerationsFile}";
        List<Generation> generations = [];
        foreach ((int line, JsonElement row) in await ReadJsonLinesAsync(container, prefix + GenerationsFile, generationsPath, required: false, cancellationToken))
        {
            generations.Add(new Generation(Text(row, "id", generationsPath, line), Text(row, "prompt", generationsPath, line),
                Text(row, "completion", generationsPath, line), Number(row, "latency_ms", generationsPath, line)));
        }

        return new EvaluationOutput(examples, generations);
    }

    /// <summary>Bits per byte over the examples of one set; null when it has none (or no bytes).</summary>
    public double? BitsPerByte(string set)
    {
        double bits = 0;
        long bytes = 0;
        foreach (ExampleScore e in Examples.Where(e => e.Set == set && e.Bytes > 0))
        {
            bits += e.Bits;
            bytes += e.Bytes;
        }

        return bytes > 0 ? bits / bytes : null;
    }

    /// <summary>The model's scores: bits per byte per set, examples, bytes, p95 generation latency (nearest rank).</summary>
    public ModelScores Scores()
    {
        double[] latencies = [.. Generations.Where(g => g.LatencyMs is not null).Select(g => g.LatencyMs!.Value).Order()];
        double? p95 = latencies.Length == 0 ? null : latencies[Math.Max(0, (int)Math.Ceiling(0.95 * latencies.Length) - 1)];
        return new ModelScores(BitsPerByte("test"), BitsPerByte("eval"), Examples.Count, Examples.Sum(e => e.Bytes), p95, Generations.Count);
    }

    /// <summary>The examples this output and <paramref name="champion"/> both scored (same set and id, same size).</summary>
    public IReadOnlyList<PairedExample> PairWith(EvaluationOutput champion)
    {
        ArgumentNullException.ThrowIfNull(champion);
        var theirs = new Dictionary<(string, string), ExampleScore>();
        foreach (ExampleScore e in champion.Examples)
        {
            theirs.TryAdd((e.Set, e.Id), e);
        }

        var pairs = new List<PairedExample>();
        foreach (ExampleScore mine in Examples)
        {
            if (mine.Bytes > 0 && theirs.TryGetValue((mine.Set, mine.Id), out ExampleScore? other) && other.Bytes == mine.Bytes)
            {
                pairs.Add(new PairedExample(mine.Bits, other.Bits, mine.Bytes));
            }
        }

        return pairs;
    }

    static async Task<List<(int Line, JsonElement Row)>> ReadJsonLinesAsync(BlobContainerClient container, string blob, string path, bool required, CancellationToken cancellationToken)
    {
        BinaryData content;
        try
        {
            content = (await container.GetBlobClient(blob).DownloadContentAsync(cancellationToken)).Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return required ? throw new InvalidOperationException($"the evaluation job wrote no {path}", e) : [];
        }

        var rows = new List<(int, JsonElement)>();
        int number = 0;
        foreach (string line in content.ToString().Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                rows.Add((number, doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : throw Bad(path, number, "not a JSON object")));
            }
            catch (JsonException e)
            {
                throw new InvalidOperationException($"{path}:{number}: not JSON ({e.Message})", e);
            }
        }

        return rows;
    }

    static string Text(JsonElement row, string name, string path, int line) => row.TryGetProperty(name, out JsonElement v) && v.ValueKind switch
    {
        JsonValueKind.String => true,
        JsonValueKind.Number => true,
        _ => false,
    } ? (v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText()) : throw Bad(path, line, $"'{name}' is missing or not a string");

    static double? Number(JsonElement row, string name, string path, int line)
    {
        if (!row.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d : throw Bad(path, line, $"'{name}' is not a finite number");
    }

    static InvalidOperationException Bad(string path, int line, string why) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}:{line}: {why}"));
}
