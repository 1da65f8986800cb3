using GenAiServerless.Platform;
using Microsoft.DurableTask;

namespace GenAiServerless.Data;

/// <summary>Lists the curated datasets of a model (for scheduled and drift-triggered retraining).</summary>
[DurableTask(nameof(ListCuratedDatasets))]
public sealed class ListCuratedDatasets(PipelineStorage storage) : TaskActivity<string, IReadOnlyList<string>>
{
    public override async Task<IReadOnlyList<string>> RunAsync(TaskActivityContext context, string input)
    {
        var datasets = new List<string>();
        await foreach (Azure.Storage.Blobs.Models.BlobItem item in storage.Container(PipelineStorage.Curated)
            .GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"{input}/" }))
        {
            if (item.Name.EndsWith("/manifest.json", StringComparison.Ordinal))
            {
                datasets.Add($"{PipelineStorage.Curated}/{item.Name[..^"manifest.json".Length]}");
            }
        }

        datasets.Sort(StringComparer.Ordinal);
        return datasets;
    }
}
