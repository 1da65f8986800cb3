using System.Security.Cryptography;
using Azure.Storage.Blobs;
using GenAiServerless.AzureMlEmulator.Jobs;
using GenAiServerless.AzureMlEmulator.Processes;

namespace GenAiServerless.AzureMlEmulator;

/// <summary>A running Azure ML emulator: ARM routes for jobs, assets, online endpoints and metrics on
/// <see cref="BaseUri"/>, the scoring routes, and the control API under <c>/_emulator/</c>.</summary>
/// <remarks>Everything it knows lives in memory and in <see cref="WorkDirectory"/>; dispose kills every process it
/// started (by their own process groups) and deletes that folder.</remarks>
public sealed class AzureMlEmulatorServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly EmulatorContext emulator;
    readonly Task watcher;

    AzureMlEmulatorServer(WebApplication app, EmulatorContext emulator, Task watcher)
    {
        this.app = app;
        this.emulator = emulator;
        this.watcher = watcher;
    }

    /// <summary>The emulator's root, standing in for <c>https://management.azure.com/</c> (ends with '/').</summary>
    public Uri BaseUri => emulator.BaseUri;

    /// <summary>The bearer token ARM requests must carry.</summary>
    public string BearerToken => emulator.BearerToken;

    public string WorkDirectory => emulator.WorkRoot;

    public static async Task<AzureMlEmulatorServer> StartAsync(AzureMlEmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        string root = options.WorkDirectory ?? Path.Combine(Path.GetTempPath(), $"azureml-emulator-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        Directory.CreateDirectory(root);
        string token = string.IsNullOrEmpty(options.BearerToken) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) : options.BearerToken;
        var emulator = new EmulatorContext(options, token, root);
        CreatePythonShims(emulator);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AzureMlEmulatorServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmulatorLifetime>();
        builder.Services.AddAzureMlEmulator(emulator);
        WebApplication app = builder.Build();
        app.MapAzureMlEmulator();
        app.Services.Connect();
        await app.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(options.DefaultBlobContainer)
            .CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await app.StartAsync(cancellationToken);
        emulator.BaseUri = new Uri(app.Urls.First().TrimEnd('/') + "/");
        Task watcher = app.Services.GetRequiredService<AutoPreemption>().WatchAsync();
        return new AzureMlEmulatorServer(app, emulator, watcher);
    }

    public async ValueTask DisposeAsync()
    {
        emulator.Stop();
        app.Services.GetRequiredService<ChildProcesses>().Dispose();
        await app.Services.GetRequiredService<JobRunner>().DrainAsync();
        await watcher;
        await app.StopAsync();
        await app.DisposeAsync();
        emulator.Dispose();
        try
        {
            Directory.Delete(emulator.WorkRoot, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open: the OS cleans temp
        }
        catch (UnauthorizedAccessException)
        {
            // likewise
        }
    }

    /// <summary>The first PATH entry of every job: <c>python</c> and <c>python3</c> pointing at the curated images' python.</summary>
    static void CreatePythonShims(EmulatorContext emulator)
    {
        string bin = emulator.Folder("bin");
        foreach (string name in new[] { "python", "python3" })
        {
            string link = Path.Combine(bin, name);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, emulator.Options.PythonPath);
            }
        }
    }
}
