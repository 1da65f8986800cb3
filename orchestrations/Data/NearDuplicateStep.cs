using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Data.Dedup;

namespace GenAiServerless.Data;

/// <summary>Runs near-duplicate removal for one drop against the model's persistent LSH index in blob storage.</summary>
/// <remarks>
/// Idempotent under activity retries: each run saves the index it produced under its own prefix
/// (<c>{model}/{run}/lsh-index.bin</c>, with the run it started from in <c>lsh-index.base.txt</c>) and only then moves
/// the pointer <c>{model}/_index/latest.txt</c>. A retry that finds the pointer already on itself starts again from its
/// recorded base, so its records are never judged duplicates of themselves. One active pipeline per model keeps two
/// drops from racing on the pointer.
/// Records are keyed by where they came from (<c>file:line@run</c>), which is unique, unlike user-supplied ids.
/// </remarks>
public static class NearDuplicateStep
{
    public static string Key(CuratedRecord record, string runId)
    {
        ArgumentNullException.ThrowIfNull(record);
        return $"{record.Source}@{runId}";
    }

    public static async Task<NearDuplicateOutcome> RunAsync(BlobContainerClient curated, string model, string runId, IReadOnlyList<CuratedRecord> records)
    {
        ArgumentNullException.ThrowIfNull(curated);
        ArgumentNullException.ThrowIfNull(records);
        BlobClient pointer = curated.GetBlobClient($"{model}/_index/latest.txt");
        string? latest = await ReadTextAsync(pointer);
        string? baseRun = latest == runId ? await ReadTextAsync(curated.GetBlobClient($"{model}/{runId}/lsh-index.base.txt")) : latest;
        baseRun = string.IsNullOrWhiteSpace(baseRun) ? null : baseRun.Trim();

        LshIndex index = new();
        if (baseRun is not null)
        {
            using BlobDownloadStreamingResult stream = (await curated.GetBlobClient($"{model}/{baseRun}/lsh-index.bin").DownloadStreamingAsync()).Value;
            index = LshIndex.Load(stream.Content);
        }

        var batch = new SignatureBatch(Math.Max(16, records.Count));
        for (int i = 0; i < records.Count; i++)
        {
            batch.Add(Key(records[i], runId), i, records[i].Text, MinHasher.Default);
        }

        NearDuplicateOutcome outcome = index.Deduplicate([batch], commit: true);
        using (var buffer = new MemoryStream())
        {
            index.Save(buffer);
            buffer.Position = 0;
            await curated.GetBlobClient($"{model}/{runId}/lsh-index.bin").UploadAsync(buffer, overwrite: true);
        }

        await curated.GetBlobClient($"{model}/{runId}/lsh-index.base.txt").UploadAsync(BinaryData.FromString(baseRun ?? string.Empty), overwrite: true);
        await pointer.UploadAsync(BinaryData.FromString(runId), overwrite: true);
        return outcome;
    }

    static async Task<string?> ReadTextAsync(BlobClient blob)
    {
        try
        {
            return (await blob.DownloadContentAsync()).Value.Content.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
