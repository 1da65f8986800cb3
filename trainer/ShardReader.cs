using System.Text.Json;

namespace GenAiServerless.Trainer;

/// <summary>One record of a shard: its id and text.</summary>
internal sealed record ShardRecord(string Id, string Text);

/// <summary>Reads the texts of one split (<c>train</c>, <c>validation</c>, <c>test</c>) from curated JSONL shards.</summary>
internal static class ShardReader
{
    /// <summary>
    /// Every record's <c>text</c> from <c>&lt;split&gt;-*.jsonl</c>, files in ordinal name order. A line
    /// that is not a JSON object with a string <c>text</c> stops the job with its file and line number:
    /// the data was curated upstream, so a bad line here means a bug worth failing for.
    /// </summary>
    public static IReadOnlyList<string> ReadTexts(string dataDirectory, string split) =>
        [.. ReadRecords(dataDirectory, $"{split}-*.jsonl").Select(record => record.Text)];

    /// <summary>
    /// Every record of the files matching <paramref name="pattern"/> (ordinal name order) with its id: the record's
    /// string <c>id</c>, or <c>file:line</c> when it has none. Fails like <see cref="ReadTexts"/> on a bad line.
    /// </summary>
    public static IReadOnlyList<ShardRecord> ReadRecords(string dataDirectory, string pattern)
    {
        if (!Directory.Exists(dataDirectory))
        {
            throw new TrainerInputException($"data directory '{dataDirectory}' does not exist");
        }

        var records = new List<ShardRecord>();
        var files = Directory.GetFiles(dataDirectory, pattern).Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var lineNumber = 0;
            foreach (var line in File.ReadLines(file))
            {
                lineNumber++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    records.Add(RecordOf(line, file, lineNumber));
                }
            }
        }

        return records;
    }

    private static ShardRecord RecordOf(string line, string file, int lineNumber)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new TrainerInputException($"{file}:{lineNumber}: expected a JSON object, found {document.RootElement.ValueKind}");
            }

            if (!document.RootElement.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
            {
                var id = document.RootElement.TryGetProperty("id", out var value) ? $" (record '{value}')" : "";
                throw new TrainerInputException($"{file}:{lineNumber}{id}: field 'text' is missing or not a string");
            }

            var recordId = document.RootElement.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String
                ? idValue.GetString()!
                : $"{Path.GetFileName(file)}:{lineNumber}";
            return new ShardRecord(recordId, text.GetString()!);
        }
        catch (JsonException e)
        {
            throw new TrainerInputException($"{file}:{lineNumber}: malformed JSON: {e.Message}", e);
        }
    }
}
