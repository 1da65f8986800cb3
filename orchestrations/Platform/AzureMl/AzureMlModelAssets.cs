using System.Globalization;
using System.Text.Json.Nodes;

namespace GenAiServerless.Platform.AzureMl;

/// <summary>Model versions as Azure ML model assets: where they live (<c>W/models/{name}/versions/{v}</c>) and what their
/// PUT carries. The files stay where the pipeline's registry keeps them; the asset points at them through the datastore
/// over that container, so Azure ML studio lists what the pipeline registered and deployments download it.</summary>
public static class AzureMlModelAssets
{
    public static string VersionPath(string model, int version) =>
        $"models/{Uri.EscapeDataString(model)}/versions/{version.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The <c>azureml://datastores/…</c> URI of a <c>container/prefix/</c> address in the data account.</summary>
    public static string DatastoreUri(AzureMlOptions options, string containerAndPrefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(containerAndPrefix);
        int slash = containerAndPrefix.IndexOf('/', StringComparison.Ordinal);
        string container = slash < 0 ? containerAndPrefix : containerAndPrefix[..slash];
        string path = slash < 0 ? string.Empty : containerAndPrefix[(slash + 1)..];
        string datastore = container switch
        {
            PipelineStorage.Registry => options.RegistryDatastore,
            PipelineStorage.Models => options.ModelsDatastore,
            PipelineStorage.Curated => options.CuratedDatastore,
            _ => throw new ArgumentException($"'{containerAndPrefix}' is in container '{container}', which no Azure ML datastore covers", nameof(containerAndPrefix)),
        };
        return $"azureml://datastores/{datastore}/paths/{path}";
    }

    /// <summary>The body of <c>PUT W/models/{name}/versions/{v}</c>: a custom model over the registered files, with the
    /// lineage in tags (searchable in the studio) and properties (immutable once set).</summary>
    public static JsonObject VersionBody(AzureMlOptions options, string filesPrefix, string description, JsonObject tags, JsonObject properties, string? jobName = null)
    {
        var body = new JsonObject
        {
            ["modelUri"] = DatastoreUri(options, filesPrefix),
            ["modelType"] = "custom_model",
            ["description"] = description,
            ["tags"] = tags,
            ["properties"] = properties,
            ["isArchived"] = false,
        };
        if (jobName is not null)
        {
            body["jobName"] = jobName;
        }

        return new JsonObject { ["properties"] = body };
    }
}
