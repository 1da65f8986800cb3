using System.Net;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using DurableTask.Core;
using GenAiServerless.Api;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Local.Engine;
using GenAiServerless.Local.Storage;
using GenAiServerless.Local.Training;
using GenAiServerless.Local.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry.Signing;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using GenAiServerless.Triggers;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Local.Stack;

/// <summary>How to run the embedded stack.</summary>
public sealed class LocalPipelineHostSettings
{
    /// <summary>Project-local folder for jobs, endpoint files and (when started here) Azurite.</summary>
    public required string Home { get; init; }

    /// <summary>Storage connection string (Azurite).</summary>
    public required string StorageConnectionString { get; init; }

    /// <summary>Port of the HTTP API and the endpoint host (0 = any free port).</summary>
    public int ApiPort { get; init; }

    /// <summary>Task hub name: the engine's tables, queues and containers in storage.</summary>
    public string TaskHub { get; init; } = "GenAiLocal";

    /// <summary>Run the blob scanner, cron and queue poller (off for tests that drive the starter directly).</summary>
    public bool EnableTriggers { get; init; } = true;

    /// <summary>Least level for console logs.</summary>
    public LogLevel ConsoleLogLevel { get; init; } = LogLevel.Information;

    /// <summary>Configuration values that override appsettings.json (e.g. from the command line).</summary>
    public IDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();
}

/// <summary>The whole pipeline on one machine: the durable engine (Azure Storage backend on Azurite, through the gRPC
/// sidecar), the worker running every orchestrator and activity, the same triggers as the Functions app (blob scanner,
/// cron, queue poller, HTTP API) and the endpoint host, in one Kestrel process.</summary>
public sealed class LocalPipelineHost : IAsyncDisposable
{
    readonly WebApplication app;
    readonly GrpcChannel channel;
    bool stopped;

    LocalPipelineHost(WebApplication app, GrpcChannel channel, Uri apiBase)
    {
        this.app = app;
        this.channel = channel;
        ApiBase = apiBase;
    }

    /// <summary>Base address of the HTTP API and scoring endpoints.</summary>
    public Uri ApiBase { get; }

    public IServiceProvider Services => app.Services;

    public DurableTaskClient Client => app.Services.GetRequiredService<DurableTaskClient>();

    public PipelineStarter Starter => app.Services.GetRequiredService<PipelineStarter>();

    /// <summary>The stack's API tokens (signed with the key in its home).</summary>
    public LocalApiTokens Tokens => app.Services.GetRequiredService<LocalApiTokens>();

    /// <summary>A client of the API presenting a token for <paramref name="name"/> with <paramref name="roles"/>.</summary>
    public HttpClient ApiClient(string name, params ApiRole[] roles)
    {
        var http = new HttpClient { BaseAddress = ApiBase };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.Issue(name, roles, TimeSpan.FromHours(1)));
        return http;
    }

    public static async Task<LocalPipelineHost> StartAsync(LocalPipelineHostSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(settings.Home);
        int[] ports = AzuriteServer.FreePorts(2);
        int apiPort = settings.ApiPort == 0 ? ports[0] : settings.ApiPort;
        int enginePort = ports[1] == apiPort ? ports[0] : ports[1];

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LocalJobs:JobsRoot"] = Path.Combine(settings.Home, "jobs"),
        });
        builder.Configuration.AddInMemoryCollection(settings.Overrides);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });

        // Logs go to stderr, so that stdout carries only what a command prints (one JSON document with --json).
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(settings.ConsoleLogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.DurableTask", LogLevel.Error); // the idle reconnect warning every 2 min is noise
        // Kestrel waits for open requests on stop, and the worker's work-item stream stays open until the worker
        // stops, which the host does after Kestrel: keep that wait short.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, apiPort, o => o.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, enginePort, o => o.Protocols = HttpProtocols.Http2);
        });

        AzureStorageOrchestrationService engine = CreateEngine(settings, builder.Services);
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{enginePort}");
        builder.Services.AddLocalEngine(engine, channel);
        builder.Services.AddSingleton(new BlobServiceClient(settings.StorageConnectionString));
        builder.Services.AddSingleton(new QueueServiceClient(settings.StorageConnectionString));
        builder.Services.AddStorageHealth(settings.StorageConnectionString);
        builder.Services.AddPipelineServices();
        builder.Services.AddSingleton<PipelineStarter>();
        builder.Services.AddPipelineApi().AddPipelineApiLocalTokens(LocalApiTokens.OpenOrCreate(settings.Home));
        AddBackends(builder.Services, builder.Configuration, settings);
        if (settings.EnableTriggers)
        {
            builder.Services.AddLocalTriggers();
        }

        WebApplication app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        app.UseStorageOutageResponses();
        app.MapPipelineApi();
        app.MapEndpointScoring();

        await app.Services.GetRequiredService<PipelineStorage>().EnsureCreatedAsync(cancellationToken);
        await engine.CreateIfNotExistsAsync();
        await app.StartAsync(cancellationToken);

        // The channel was made before Kestrel listened; its first connection attempt failed and it is backing off.
        // Connect now, so the first client call does not fail fast with Unavailable.
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            connect.CancelAfter(TimeSpan.FromSeconds(30));
            await channel.ConnectAsync(connect.Token);
        }

        // The sidecar starts its dispatchers only once a worker connects: make sure the first one has.
        _ = app.Services.GetRequiredService<TaskHubGrpcServer>();
        return new LocalPipelineHost(app, channel, new Uri($"http://127.0.0.1:{apiPort}/"));
    }

    /// <summary>Where jobs run and endpoints live: this machine (the default), or an Azure ML workspace when
    /// <c>Training:Backend</c> or <c>Rollout:Backend</c> is <c>AzureMl</c> — a subscription (signed in with the Azure CLI
    /// or any credential <see cref="DefaultAzureCredential"/> finds) or any server that speaks the ARM API
    /// (<c>AzureMl:ArmEndpoint</c> and <c>AzureMl:StaticToken</c>, such as the tests' Azure ML emulator).</summary>
    static void AddBackends(IServiceCollection services, ConfigurationManager configuration, LocalPipelineHostSettings settings)
    {
        bool azureJobs = IsAzureMl(configuration, "Training:Backend");
        bool azureEndpoints = IsAzureMl(configuration, "Rollout:Backend");
        services.AddAzureMl(new DefaultAzureCredential(), azureJobs, azureEndpoints);
        if (!azureJobs)
        {
            services.AddLocalJobBackend();
        }

        // Model manifests are signed with a Key Vault key when one is configured, else with the stack's own key ring.
        if (!string.IsNullOrEmpty(configuration.GetValue<string>("Signing:KeyVaultUri")))
        {
            services.AddKeyVaultManifestSigning(new DefaultAzureCredential());
        }
        else
        {
            services.AddLocalKeyRing(configuration.GetValue<string>("Signing:KeyRingPath") is { Length: > 0 } ring ? ring : Path.Combine(settings.Home, "keys"));
        }

        if (!azureEndpoints)
        {
            EndpointHostOptions endpoints = configuration.GetSection("LocalEndpoints").Get<EndpointHostOptions>() ?? new EndpointHostOptions();
            endpoints.Home = settings.Home;
            endpoints.Python = JobsPython(configuration);
            if (endpoints.Problem() is { } problem)
            {
                throw new InvalidOperationException(problem);
            }

            services.AddSingleton(sp =>
            {
                endpoints.ComponentsFolder = sp.GetRequiredService<IOptions<TrainingOptions>>().Value.ComponentsFolder;
                return endpoints;
            });
            services.AddSingleton<DeploymentRouter>();
            services.AddSingleton<LocalEndpointHost>();
            services.AddSingleton<IEndpointHost>(sp => sp.GetRequiredService<LocalEndpointHost>());
            services.AddSingleton<IDeploymentMetrics>(sp => sp.GetRequiredService<LocalEndpointHost>());
            services.AddHostedService(sp => sp.GetRequiredService<LocalEndpointHost>());
        }
    }

    /// <summary>The jobs' Python (<c>LocalJobs:Python</c>), which the endpoints serve PyTorch models with too.</summary>
    static string JobsPython(ConfigurationManager configuration) =>
        configuration["LocalJobs:Python"] is { Length: > 0 } configured ? configured : LocalJobOptions.DefaultPython;

    static bool IsAzureMl(ConfigurationManager configuration, string key) => configuration[key] switch
    {
        null or "" or "Local" => false,
        "AzureMl" => true,
        string other => throw new InvalidOperationException($"{key} is '{other}': Local or AzureMl"),
    };

    static AzureStorageOrchestrationService CreateEngine(LocalPipelineHostSettings settings, IServiceCollection services)
    {
        var engineSettings = new AzureStorageOrchestrationServiceSettings
        {
            StorageAccountClientProvider = new StorageAccountClientProvider(settings.StorageConnectionString),
            TaskHubName = settings.TaskHub,

            // A fixed worker id lets a restarted process retake its own partition leases at once.
            WorkerId = "genai-local",
            PartitionCount = 2,

            // Short visibility so a crashed run resumes in seconds; every activity stays well under it.
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(30),
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(30),
            MaxQueuePollingInterval = TimeSpan.FromSeconds(1),
            MaxConcurrentTaskActivityWorkItems = 8,
            MaxConcurrentTaskOrchestrationWorkItems = 8,
            ThrowExceptionOnInvalidDedupeStatus = true,

            // One local worker: the app lease (which keeps two app versions from sharing a hub) only adds start-up waits.
            UseAppLease = false,
        };
        return new AzureStorageOrchestrationService(engineSettings);
    }

    /// <summary>Stops the host and the engine (the sidecar does not await the engine's stop itself). Each step is
    /// bounded: a stuck piece of the sidecar must not keep the process alive.</summary>
    public async Task StopAsync()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // The worker first: it closes its gRPC stream, so Kestrel has no open request to wait for.
        foreach (DurableTaskWorker worker in app.Services.GetServices<IHostedService>().OfType<DurableTaskWorker>())
        {
            await Bounded(worker.StopAsync(cts.Token), 5);
        }

        await Bounded(app.StopAsync(cts.Token), 12);

        // Release the partition leases now, so that the next start takes them over at once.
        await Bounded(app.Services.GetRequiredService<IOrchestrationService>().StopAsync(isForced: true), 10);
        await Bounded(channel.ShutdownAsync(), 5);
    }

    static async Task Bounded(Task task, int seconds)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(seconds));
        }
        catch (TimeoutException)
        {
            // give up waiting; the process is ending anyway
        }
        catch (OperationCanceledException)
        {
            // the host's own stop timeout
        }
    }

    /// <summary>Blocks until the host shuts down (Ctrl+C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Bounded(app.DisposeAsync().AsTask(), 5);
        channel.Dispose();
    }
}

/// <summary>Wiring of the local durable engine.</summary>
public static class LocalEngineServiceCollectionExtensions
{
    /// <summary>The sidecar over the Azure Storage backend (behind our compatibility decorator), and the worker and
    /// client of the modern SDK talking to it over gRPC: the same API Durable Functions' isolated worker uses.</summary>
    public static IServiceCollection AddLocalEngine(this IServiceCollection services, AzureStorageOrchestrationService engine, GrpcChannel channel)
    {
        services.AddGrpc();
        services.AddSingleton<IOrchestrationService>(sp => new SidecarCompatibleOrchestrationService(engine, sp.GetRequiredService<ILogger<SidecarCompatibleOrchestrationService>>()));
        services.AddSingleton<IOrchestrationServiceClient>(engine);
        services.AddSingleton<TaskHubGrpcServer>();
        services.AddDurableTaskWorker(b =>
        {
            b.AddTasks(r => r.AddPipelineTasks());
            b.UseGrpc(channel);
            b.Configure(o =>
            {
                o.Concurrency.MaximumConcurrentActivityWorkItems = 8;
                o.Concurrency.MaximumConcurrentOrchestrationWorkItems = 8;
            });
        });
        services.AddDurableTaskClient(b =>
        {
            b.UseGrpc(channel);
            b.RegisterDirectly();
        });
        return services;
    }
}
