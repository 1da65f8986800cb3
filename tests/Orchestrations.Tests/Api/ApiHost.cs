using System.Net;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using GenAiServerless.Api;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Tests.Orchestrations.Api;

/// <summary>The shared API on Kestrel, wired as the local host wires it (its own tokens, <c>MapPipelineApi</c>), with
/// the durable client and registry in memory. Storage points at a closed loopback port: a route that reached it
/// would answer 503, which the tests would see.</summary>
public sealed class ApiHost : IAsyncLifetime
{
    public const string Model = "tinylm";

    const string UnreachableStorage =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        + "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1";

    readonly string home = Path.Combine(Path.GetTempPath(), "genai-api-tests-" + Guid.NewGuid().ToString("n"));
    WebApplication? app;

    internal ApiDurableClient Client { get; } = new();

    internal ApiRegistry Registry { get; } = new();

    public LocalApiTokens Tokens { get; private set; } = null!;

    public string Home => home;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http(params ApiRole[] roles) => Http("alice", roles);

    public HttpClient Http(string name, params ApiRole[] roles)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Issue(name, roles, TimeSpan.FromMinutes(5)));
        return http;
    }

    public HttpClient Anonymous() => new() { BaseAddress = BaseAddress };

    public async Task InitializeAsync()
    {
        Tokens = LocalApiTokens.OpenOrCreate(home);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pipeline:Models:0"] = Model,
            ["Schedule:RetrainCron"] = "0 0 2 * * *",
            // The drift cooldown lives in storage, unreachable here: Local.Tests cover it on Azurite.
            ["DriftAlerts:Cooldown"] = "00:00:00",
        });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(new BlobServiceClient(UnreachableStorage));
        builder.Services.AddSingleton(new QueueServiceClient(UnreachableStorage));
        builder.Services.AddPipelineServices();
        builder.Services.AddSingleton<IModelRegistry>(Registry);
        builder.Services.AddSingleton<DurableTaskClient>(Client);
        builder.Services.AddPipelineApi().AddPipelineApiLocalTokens(Tokens);
        app = builder.Build();
        app.MapPipelineApi();
        await app.StartAsync();
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Directory.Delete(home, recursive: true);
    }
}
