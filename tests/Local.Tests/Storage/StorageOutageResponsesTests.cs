using System.Net;
using System.Net.Sockets;
using Azure;
using GenAiServerless.Local.Stack;
using GenAiServerless.Local.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Tests.Local.Storage;

/// <summary>The API's answer to a storage outage, on Kestrel: 503 with Retry-After, never a 500 or a hang.</summary>
public sealed class StorageOutageResponsesTests
{
    [Fact]
    public async Task Api_StorageDown_Answers503WithRetryAfterAtOnce()
    {
        int dead = AzuriteServer.FreePorts(1)[0]; // nothing listens there
        await using WebApplication app = await StartAsync(dead, app =>
        {
            app.MapGet("/api/pipelines", () => "should not run");
            app.MapGet("/endpoints/x", () => "not storage-bound");
        });
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using HttpResponseMessage api = await http.GetAsync("api/pipelines");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), api.Headers.RetryAfter?.Delta);
        Assert.Contains("storage", await api.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        using HttpResponseMessage other = await http.GetAsync("endpoints/x");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Api_CallFailsWithStorageTransportError_Answers503()
    {
        using var storage = new TcpListener(IPAddress.Loopback, 0);
        storage.Start();
        await using WebApplication app = await StartAsync(((IPEndPoint)storage.LocalEndpoint).Port, app =>
        {
            app.MapGet("/api/retried", string () => throw new AggregateException("Retry failed after 6 tries.", new RequestFailedException("Connection refused (127.0.0.1:10000)")));
            app.MapGet("/api/bug", string () => throw new InvalidOperationException("a bug, not an outage"));
        });
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using HttpResponseMessage retried = await http.GetAsync("api/retried");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, retried.StatusCode);
        Assert.NotNull(retried.Headers.RetryAfter);

        using HttpResponseMessage bug = await http.GetAsync("api/bug");
        Assert.Equal(HttpStatusCode.InternalServerError, bug.StatusCode);
    }

    [Fact]
    public void IsUnreachable_TellsOutagesFromOtherFailures()
    {
        Assert.True(StorageFaults.IsUnreachable(new AggregateException(new RequestFailedException("refused"), new RequestFailedException(503, "busy"))));
        Assert.True(StorageFaults.IsUnreachable(new RequestFailedException(0, "transport", new HttpRequestException("refused"))));
        Assert.False(StorageFaults.IsUnreachable(new RequestFailedException(404, "BlobNotFound")));
        Assert.False(StorageFaults.IsUnreachable(new AggregateException(new RequestFailedException(0, "refused"), new InvalidOperationException("bug"))));
        Assert.False(StorageFaults.IsUnreachable(new InvalidOperationException("bug")));
    }

    static async Task<WebApplication> StartAsync(int storagePort, Action<WebApplication> map)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{AzuriteServer.FreePorts(1)[0]}");
        string endpoint = $"http://127.0.0.1:{storagePort}/devstoreaccount1";
        builder.Services.AddStorageHealth($"AccountName=devstoreaccount1;BlobEndpoint={endpoint};QueueEndpoint={endpoint};TableEndpoint={endpoint};");
        WebApplication app = builder.Build();
        app.UseStorageOutageResponses();
        map(app);
        await app.StartAsync();
        return app;
    }
}
