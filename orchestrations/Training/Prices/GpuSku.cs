using System.Text.Json;

namespace GenAiServerless.Training.Prices;

/// <summary>What a VM size carries: GPU model, GPUs per VM, memory per GPU (GB) and vCPUs.</summary>
public sealed record GpuSku(string Sku, string GpuType, int GpuCount, int GpuMemoryGb, int VCpus)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Reads <c>{"skus":[{"sku","gpuType","gpuCount","gpuMemoryGb","vCpus"}]}</c> (extra fields ignored).</summary>
    public static IReadOnlyList<GpuSku> ParseList(string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("skus", out var skus) || skus.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("GpuSku list: expected an object with a 'skus' array.");
        }

        var result = new List<GpuSku>();
        var index = 0;
        foreach (var element in skus.EnumerateArray())
        {
            var sku = element.Deserialize<GpuSku>(JsonOptions)
                ?? throw new JsonException($"GpuSku list: skus[{index}] is null.");
            if (string.IsNullOrWhiteSpace(sku.Sku) || string.IsNullOrWhiteSpace(sku.GpuType) || sku.GpuCount <= 0 || sku.GpuMemoryGb <= 0)
            {
                throw new JsonException(
                    $"GpuSku list: skus[{index}] ('{sku.Sku}') needs sku, gpuType, and a positive gpuCount and gpuMemoryGb.");
            }

            result.Add(sku);
            index++;
        }

        return result;
    }
}
