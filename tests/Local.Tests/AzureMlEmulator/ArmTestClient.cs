using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>An answer of the emulator: status, JSON body (null when empty or not JSON), headers.</summary>
public sealed record ArmResponse(HttpStatusCode Status, JsonNode? Body, HttpResponseHeaders Headers, string Text)
{
    public string? Header(string name) => Headers.TryGetValues(name, out IEnumerable<string>? values) ? values.First() : null;

    public string? ErrorCode => Body?["error"]?["code"]?.GetValue<string>();

    public string? ErrorMessage => Body?["error"]?["message"]?.GetValue<string>();
}

/// <summary>Plain HTTP calls built from the Azure REST reference (no product client): ARM URLs under one workspace with
/// the api-version, JSON bodies as written in the reference, and the polling of long-running operations.</summary>
public sealed class ArmTestClient(HttpClient http, string workspaceId, string connectionString)
{
    public const string ApiVersion = "2025-12-01";
    public const string CuratedEnvironment = "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest";
    public const string DefaultContainer = "azureml-blobstore";

    public HttpClient Http { get; } = http;

    /// <summary>The workspace id, W.</summary>
    public string Workspace { get; } = workspaceId;

    public string Id(string relative) => $"{Workspace}/{relative}";

    public static string WithApiVersion(string url) => $"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}api-version={ApiVersion}";

    public Task<ArmResponse> GetAsync(string relative) => SendAsync(HttpMethod.Get, relative);

    public Task<ArmResponse> PutAsync(string relative, string json) => SendAsync(HttpMethod.Put, relative, json);

    public Task<ArmResponse> PatchAsync(string relative, string json) => SendAsync(HttpMethod.Patch, relative, json);

    public Task<ArmResponse> PostAsync(string relative, string? json = null) => SendAsync(HttpMethod.Post, relative, json);

    public Task<ArmResponse> DeleteAsync(string relative) => SendAsync(HttpMethod.Delete, relative);

    public Task<ArmResponse> SendAsync(HttpMethod method, string relative, string? json = null) => SendUrlAsync(method, WithApiVersion(Id(relative)), json);

    public async Task<ArmResponse> SendUrlAsync(HttpMethod method, string url, string? json = null, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using HttpResponseMessage response = await (client ?? Http).SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        JsonNode? body = null;
        try
        {
            body = text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            // not JSON: keep the text
        }

        return new ArmResponse(response.StatusCode, body, response.Headers, text);
    }

    /// <summary>Polls an Azure-AsyncOperation URL until its status is no longer InProgress; returns the last body.</summary>
    public async Task<JsonObject> WaitForAsyncOperationAsync(ArmResponse started, TimeSpan? timeout = null)
    {
        string url = started.Header("Azure-AsyncOperation") ?? throw new InvalidOperationException($"no Azure-AsyncOperation header ({started.Status})");
        var watch = Stopwatch.StartNew();
        while (true)
        {
            ArmResponse status = await SendUrlAsync(HttpMethod.Get, url);
            Assert.Equal(HttpStatusCode.OK, status.Status);
            if (status.Body!["status"]!.GetValue<string>() != "InProgress")
            {
                return (JsonObject)status.Body;
            }

            Assert.True(watch.Elapsed < (timeout ?? TimeSpan.FromSeconds(20)), $"operation still InProgress after {watch.Elapsed}");
            await Task.Delay(50);
        }
    }

    /// <summary>Polls a Location URL while it answers 202; returns the final answer.</summary>
    public async Task<ArmResponse> WaitForLocationAsync(ArmResponse started, TimeSpan? timeout = null)
    {
        string url = started.Headers.Location?.ToString() ?? throw new InvalidOperationException($"no Location header ({started.Status})");
        var watch = Stopwatch.StartNew();
        while (true)
        {
            ArmResponse result = await SendUrlAsync(HttpMethod.Get, url);
            if (result.Status != HttpStatusCode.Accepted)
            {
                return result;
            }

            Assert.True(watch.Elapsed < (timeout ?? TimeSpan.FromSeconds(20)), $"operation still running after {watch.Elapsed}");
            await Task.Delay(50);
        }
    }

    /// <summary>Polls <c>GET W/jobs/{id}</c> until the job is Completed, Failed or Canceled.</summary>
    public async Task<JsonNode> WaitForJobAsync(string jobId, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            ArmResponse job = await GetAsync($"jobs/{jobId}");
            Assert.Equal(HttpStatusCode.OK, job.Status);
            if (job.Body!["properties"]!["status"]!.GetValue<string>() is "Completed" or "Failed" or "Canceled")
            {
                return job.Body;
            }

            Assert.True(watch.Elapsed < (timeout ?? TimeSpan.FromSeconds(30)), $"job {jobId} still {job.Body["properties"]!["status"]} after {watch.Elapsed}");
            await Task.Delay(50);
        }
    }

    /// <summary>Uploads a code folder the way the REST reference says: startPendingUpload, blobs through the SAS, then
    /// PUT the code version with the blob folder as codeUri. Returns the code version's id.</summary>
    public async Task<string> UploadCodeAsync(string name, string version, params (string Path, string Content)[] files)
    {
        ArmResponse pending = await PostAsync($"codes/{name}/versions/{version}/startPendingUpload", """{"pendingUploadType":"TemporaryBlobReference"}""");
        Assert.Equal(HttpStatusCode.OK, pending.Status);
        string blobUri = pending.Body!["blobReferenceForConsumption"]!["blobUri"]!.GetValue<string>();
        string sas = new Uri(pending.Body["blobReferenceForConsumption"]!["credential"]!["sasUri"]!.GetValue<string>()).Query;
        foreach ((string path, string content) in files)
        {
            await new BlobClient(new Uri($"{blobUri}/{path}{sas}")).UploadAsync(BinaryData.FromString(content), overwrite: true);
        }

        ArmResponse code = await PutAsync($"codes/{name}/versions/{version}", $$"""{"properties":{"codeUri":"{{blobUri}}","description":"test code"} }""");
        Assert.True(code.Status is HttpStatusCode.Created or HttpStatusCode.OK, code.Text);
        return code.Body!["id"]!.GetValue<string>();
    }

    /// <summary>Writes blobs under the default datastore; returns the folder's azureml:// URI.</summary>
    public async Task<string> UploadDataAsync(string folder, params (string Path, string Content)[] files)
    {
        BlobContainerClient container = new BlobServiceClient(connectionString).GetBlobContainerClient(DefaultContainer);
        foreach ((string path, string content) in files)
        {
            await container.GetBlobClient($"{folder}/{path}").UploadAsync(BinaryData.FromString(content), overwrite: true);
        }

        return $"azureml://datastores/workspaceblobstore/paths/{folder}/";
    }

    public async Task<string?> ReadBlobAsync(string path)
    {
        BlobClient blob = new BlobServiceClient(connectionString).GetBlobContainerClient(DefaultContainer).GetBlobClient(path);
        return await blob.ExistsAsync() ? (await blob.DownloadContentAsync()).Value.Content.ToString() : null;
    }
}
