using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Azure.Storage.Blobs;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Registry;
using GenAiServerless.Registry.AzureMl;
using GenAiServerless.Rollout;
using GenAiServerless.Rollout.AzureMl;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Training;
using GenAiServerless.Training.AzureMl;
using GenAiServerless.Triggers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace GenAiServerless.Tests.Functions.Hosting;

public sealed class WiringTests
{
    [Fact]
    public void Services_AsProgramWiresThem_PassContainerValidation()
    {
        // ValidateOnBuild is what a Development host does at start-up; it must not trip over the starter, whose
        // durable client only exists per invocation.
        using ServiceProvider services = TestApp.Services();

        Assert.NotNull(services.GetRequiredService<PipelineStarterFactory>().Create(new FakeDurableTaskClient()));
        Assert.IsType<AzureMlEndpointHost>(services.GetRequiredService<IEndpointHost>());
        Assert.IsType<AzureMlModelRegistry>(services.GetRequiredService<IModelRegistry>());
        Assert.IsType<AzureMlJobBackend>(services.GetRequiredService<IJobBackend>());
        Assert.Null(services.GetService<PipelineStarter>());
    }

    // Loopback port 9 for every endpoint, live metrics included: nothing is ever sent off this machine.
    const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/";

    [Fact]
    public void Telemetry_ConnectionStringSet_ExportsWorkerLogsAndTracesToAzureMonitorWithTheIdentity()
    {
        using ServiceProvider services = TestApp.Services(TestApp.Configuration(new Dictionary<string, string?>
        {
            [FunctionsAppServiceCollectionExtensions.ApplicationInsightsConnectionString] = ConnectionString,
        }));

        AzureMonitorExporterOptions exporter = services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);

        // The worker's ILogger records go through OpenTelemetry (the `traces` the alerts query), its activities too, and
        // the exporter signs in (the component takes no instrumentation-key-only ingestion).
        Assert.Contains(services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
        Assert.NotNull(services.GetService<TracerProvider>());
        Assert.Equal(ConnectionString, exporter.ConnectionString);
        Assert.IsType<DefaultAzureCredential>(exporter.Credential);
    }

    [Fact]
    public void Telemetry_NoConnectionString_RegistersNoExporter()
    {
        using ServiceProvider services = TestApp.Services();

        Assert.DoesNotContain(services.GetServices<ILoggerProvider>(), provider => provider is OpenTelemetryLoggerProvider);
        Assert.Null(services.GetService<TracerProvider>());
        Assert.Null(services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName).ConnectionString);
    }

    [Fact]
    public void AddStorageClients_ServiceUris_UseThemWithoutAConnectionString()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:BlobServiceUri"] = "https://stgenai.blob.core.windows.net/",
            ["Storage:QueueServiceUri"] = "https://stgenai.queue.core.windows.net/",
        }).Build();

        using ServiceProvider services = new ServiceCollection().AddStorageClients(configuration).BuildServiceProvider();

        Assert.Equal("stgenai", services.GetRequiredService<BlobServiceClient>().AccountName);
        Assert.Equal(new Uri("https://stgenai.queue.core.windows.net/"), services.GetRequiredService<Azure.Storage.Queues.QueueServiceClient>().Uri);
    }

    [Fact]
    public void AddStorageClients_NothingConfigured_FailsNamingTheSettings()
    {
        IConfiguration empty = new ConfigurationBuilder().Build();

        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddStorageClients(empty));

        Assert.Contains("Storage:BlobServiceUri", e.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Storage", e.Message, StringComparison.Ordinal);
    }
}
