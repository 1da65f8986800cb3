using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Platform;
using Microsoft.DurableTask;

namespace GenAiServerless.Evaluation;

/// <summary>Makes sure the model has its fixed evaluation set and writes this run's evaluation prompts, so the
/// challenger and the champion are scored on exactly the same examples and prompts.</summary>
/// <remarks>
/// The fixed set is configured (<see cref="EvaluationPolicy.EvalSetPrefix"/>) or, the first time, a copy of the run's
/// test split under <c>curated/{model}/_evalset/{run}/</c>, named by the marker <c>curated/{model}/_evalset/source.json</c>
/// written after it: created with conditional writes and never changed afterwards, so every later run of the model scores
/// the same examples. Later drops are deduplicated against everything curated, so
/// its texts do not come back as training data. The prompts, under <c>curated/{model}/_prompts/{run}/</c>, are the
/// shipped safety probe, the model's configured extra probe prompts, and sample prompts (the first words of the first
/// examples of the fixed set).
/// </remarks>
[DurableTask(nameof(PrepareEvaluationSet))]
public sealed class PrepareEvaluationSet(PipelineStorage storage) : TaskActivity<EvaluationSetRequest, EvaluationSet>
{
    public const string SourceFile = "source.json";
    const int SamplePrompts = 8;
    const int SamplePromptWords = 3;

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public override async Task<EvaluationSet> RunAsync(TaskActivityContext context, EvaluationSetRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CancellationToken ct = CancellationToken.None;
        (string evalSet, string source) = input.Policy.EvalSetPrefix is { } configured
            ? (Folder(configured), $"configured: {configured}")
            : await EnsureFixedSetAsync(input, ct);
        List<string> examples = await ReadTextsAsync(storage, evalSet, int.MaxValue, ct);
        if (examples.Count == 0)
        {
            throw new InvalidOperationException($"the evaluation set {evalSet} of {input.Model} holds no records (*.jsonl with {{\"id\",\"text\"}})");
        }

        var prompts = new StringBuilder();
        int count = 0;
        foreach ((string id, string prompt) in ShippedSafetyPrompts().Concat(await ExtraPromptsAsync(input.Policy.SafetyPromptsPrefix, ct)).Concat(Samples(examples)))
        {
            prompts.Append(JsonSerializer.Serialize(new { id, prompt }, Json)).Append('\n');
            count++;
        }

        string promptsPrefix = $"{PipelineStorage.Curated}/{input.Model}/_prompts/{input.RunId}/";
        (BlobContainerClient container, string prefix) = storage.Locate(promptsPrefix);
        await container.GetBlobClient(prefix + "prompts.jsonl").UploadAsync(BinaryData.FromString(prompts.ToString()), overwrite: true, ct);
        return new EvaluationSet(evalSet, promptsPrefix, examples.Count, count, source);
    }

    /// <summary>The model's fixed set, created from the run's test split (its validation split when the test split is
    /// empty) the first time. A run copies its split into a folder of its own (<c>_evalset/{run}/</c>) and then creates
    /// the marker (<c>_evalset/source.json</c>) naming that folder: the marker is the set, so a run that stops between the
    /// two leaves a folder nothing names, never a set that mixes two runs' files, and the first marker written wins.</summary>
    async Task<(string Prefix, string Source)> EnsureFixedSetAsync(EvaluationSetRequest input, CancellationToken ct)
    {
        string evalSets = $"{PipelineStorage.Curated}/{input.Model}/_evalset/";
        (BlobContainerClient container, string prefix) = storage.Locate(evalSets);
        BlobClient marker = container.GetBlobClient(prefix + SourceFile);
        string own = $"{evalSets}{input.RunId}/";
        if (await ReadMarkerAsync(marker, evalSets, ct) is { } existing)
        {
            await RemoveUnnamedAsync(container, $"{prefix}{input.RunId}/", existing.Prefix, own, ct);
            return existing;
        }

        foreach (string split in new[] { "test", "validation" })
        {
            var copied = new List<string>();
            foreach (string dataset in input.Datasets)
            {
                (BlobContainerClient from, string datasetPrefix) = storage.Locate(Folder(dataset));
                await foreach (BlobItem item in from.GetBlobsAsync(new GetBlobsOptions { Prefix = datasetPrefix + split + "-" }, ct))
                {
                    if (!item.Name.EndsWith(".jsonl", StringComparison.Ordinal) || item.Properties.ContentLength == 0)
                    {
                        continue;
                    }

                    BinaryData content = (await from.GetBlobClient(item.Name).DownloadContentAsync(ct)).Value.Content;
                    string name = $"{prefix}{input.RunId}/eval-{copied.Count.ToString("D3", CultureInfo.InvariantCulture)}.jsonl";
                    await CreateOnceAsync(container.GetBlobClient(name), content, ct);
                    copied.Add($"{from.Name}/{item.Name}");
                }

                if (copied.Count > 0)
                {
                    break; // one dataset's split is the set: a retraining run over many datasets takes the first
                }
            }

            if (copied.Count > 0)
            {
                string source = $"the {split} split of run {input.RunId} ({string.Join(", ", copied)})";
                await CreateOnceAsync(marker, BinaryData.FromObjectAsJson(new { source, runId = input.RunId, split, files = copied, set = own }, Json), ct);

                // A concurrent first run may have won the marker: its set is the model's.
                (string Prefix, string Source) set = await ReadMarkerAsync(marker, evalSets, ct) ?? (own, source);
                await RemoveUnnamedAsync(container, $"{prefix}{input.RunId}/", set.Prefix, own, ct);
                return set;
            }
        }

        throw new InvalidOperationException($"{input.Model} has no evaluation set yet and run {input.RunId} has no test or validation records to start one: "
            + "configure Evaluation:Models:{model}:EvalSet or drop more data");
    }

    /// <summary>Deletes this run's copy of its split when the marker names another set (the run lost the race for the
    /// marker, or stopped before writing it and another run's set won meanwhile): nothing reads it any more.</summary>
    static async Task RemoveUnnamedAsync(BlobContainerClient container, string ownPath, string set, string own, CancellationToken ct)
    {
        if (set == own)
        {
            return;
        }

        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = ownPath }, ct))
        {
            await container.GetBlobClient(item.Name).DeleteIfExistsAsync(cancellationToken: ct);
        }
    }

    /// <summary>The folder of <paramref name="model"/>'s fixed set as its marker names it (what the evaluation scores),
    /// or null when the model has none yet.</summary>
    public static async Task<string?> FixedSetFolderAsync(PipelineStorage storage, string model, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        string evalSets = $"{PipelineStorage.Curated}/{model}/_evalset/";
        (BlobContainerClient container, string prefix) = storage.Locate(evalSets);
        return await ReadMarkerAsync(container.GetBlobClient(prefix + SourceFile), evalSets, ct) is { } set ? set.Prefix : null;
    }

    /// <summary>The set the marker names and its description; null when there is no marker yet. A marker written before
    /// sets had folders of their own names none: its files are beside it.</summary>
    static async Task<(string Prefix, string Source)?> ReadMarkerAsync(BlobClient marker, string evalSets, CancellationToken ct)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse((await marker.DownloadContentAsync(ct)).Value.Content);
            string source = doc.RootElement.TryGetProperty("source", out JsonElement s) ? s.GetString() ?? "an earlier run" : "an earlier run";
            string set = doc.RootElement.TryGetProperty("set", out JsonElement p) && p.GetString() is { Length: > 0 } named ? named : evalSets;
            return (set, source);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Writes a blob unless it exists: the set is immutable once written (a retry finds its own bytes).</summary>
    static async Task CreateOnceAsync(BlobClient blob, BinaryData content, CancellationToken ct)
    {
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // written already (a retry, or a concurrent first run)
        }
    }

    /// <summary>The texts of every <c>*.jsonl</c> under a folder, in name order (their <c>text</c> fields), the first
    /// <paramref name="limit"/> of them: what the evaluation scores as set <c>eval</c>, and the rollout's quality probe.</summary>
    public static async Task<List<string>> ReadTextsAsync(PipelineStorage storage, string folder, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var texts = new List<string>();
        (BlobContainerClient container, string prefix) = storage.Locate(folder);
        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct))
        {
            if (!item.Name.EndsWith(".jsonl", StringComparison.Ordinal) || item.Name[prefix.Length..].Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            if (texts.Count >= limit)
            {
                break;
            }

            int line = 0;
            foreach (string row in (await container.GetBlobClient(item.Name).DownloadContentAsync(ct)).Value.Content.ToString().Split('\n'))
            {
                line++;
                if (texts.Count >= limit)
                {
                    break;
                }

                if (string.IsNullOrWhiteSpace(row))
                {
                    continue;
                }

                try
                {
                    using JsonDocument doc = JsonDocument.Parse(row);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out JsonElement text) && text.ValueKind == JsonValueKind.String)
                    {
                        texts.Add(text.GetString()!);
                        continue;
                    }
                }
                catch (JsonException)
                {
                }

                throw new InvalidOperationException($"{container.Name}/{item.Name}:{line}: an evaluation record is {{\"id\",\"text\"}}");
            }
        }

        return texts;
    }

    /// <summary>A model's extra probe prompts: every <c>*.jsonl</c> of <c>{"id","prompt"}</c> under the folder.</summary>
    async Task<List<(string Id, string Prompt)>> ExtraPromptsAsync(string? folder, CancellationToken ct)
    {
        var prompts = new List<(string, string)>();
        if (folder is null)
        {
            return prompts;
        }

        (BlobContainerClient container, string prefix) = storage.Locate(Folder(folder));
        await foreach (BlobItem item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct))
        {
            if (item.Name.EndsWith(".jsonl", StringComparison.Ordinal))
            {
                prompts.AddRange(ParsePrompts((await container.GetBlobClient(item.Name).DownloadContentAsync(ct)).Value.Content.ToString(), $"{container.Name}/{item.Name}"));
            }
        }

        return prompts;
    }

    /// <summary>The safety probe shipped with the pipeline (<c>Evaluation/SafetyPrompts.jsonl</c>).</summary>
    public static IReadOnlyList<(string Id, string Prompt)> ShippedSafetyPrompts()
    {
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("GenAiServerless.Evaluation.SafetyPrompts.jsonl")
            ?? throw new InvalidOperationException("the shipped safety prompts are missing from the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return ParsePrompts(reader.ReadToEnd(), "SafetyPrompts.jsonl");
    }

    /// <summary>Parses <c>{"id","prompt"}</c> lines; a line that is not one fails naming the file and line.</summary>
    public static List<(string Id, string Prompt)> ParsePrompts(string content, string path)
    {
        ArgumentNullException.ThrowIfNull(content);
        var prompts = new List<(string, string)>();
        int line = 0;
        foreach (string row in content.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(row))
            {
                continue;
            }

            try
            {
                using JsonDocument doc = JsonDocument.Parse(row);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String && id.GetString()!.Length > 0
                    && doc.RootElement.TryGetProperty("prompt", out JsonElement prompt) && prompt.ValueKind == JsonValueKind.String && prompt.GetString()!.Trim().Length > 0)
                {
                    prompts.Add((id.GetString()!, prompt.GetString()!));
                    continue;
                }
            }
            catch (JsonException)
            {
            }

            throw new InvalidOperationException($"{path}:{line}: a prompt is {{\"id\": \"…\", \"prompt\": \"…\"}} with both non-empty");
        }

        return prompts;
    }

    /// <summary>Sample prompts: the first words of the first examples of the fixed set.</summary>
    static IEnumerable<(string Id, string Prompt)> Samples(List<string> examples) => examples
        .Select(t => string.Join(' ', t.Split((char[]?)null, SamplePromptWords + 1, StringSplitOptions.RemoveEmptyEntries).Take(SamplePromptWords)))
        .Where(p => p.Length > 0)
        .Take(SamplePrompts)
        .Select((p, i) => ($"sample-{i.ToString(CultureInfo.InvariantCulture)}", p));

    static string Folder(string prefix) => prefix.EndsWith('/') ? prefix : prefix + "/";
}
