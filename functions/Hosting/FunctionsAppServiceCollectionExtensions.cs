using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using GenAiServerless.Api;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry.Signing;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Functions.Hosting;

/// <summary>The Functions app's services in one call, so Program.cs and the tests that check the deployed settings
/// against the app's options build the very same container.</summary>
public static class FunctionsAppServiceCollectionExtensions
{
    /// <summary>The app setting Azure Functions and the Bicep give the Application Insights connection string in.</summary>
    public const string ApplicationInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Storage clients (from <paramref name="configuration"/>), the pipeline and its validated options, the Azure ML
    /// job backend, endpoint host and registry mirror, the Key Vault key that signs model manifests
    /// (<c>Signing:KeyVaultUri</c>, <c>Signing:KeyName</c>), the per-call starter factory, the HTTP API with Entra ID
    /// bearer tokens (section <c>Api:EntraId</c>), and the worker's telemetry.</summary>
    public static IServiceCollection AddGenAiFunctionsApp(this IServiceCollection services, IConfiguration configuration)
    {
        // One credential for Azure ML, Key Vault and telemetry: the user-assigned identity named by AZURE_CLIENT_ID on Azure.
        var credential = new DefaultAzureCredential();
        return services
            .AddStorageClients(configuration)
            .AddPipelineServices()
            .AddAzureMl(credential)
            .AddKeyVaultManifestSigning(credential)
            .AddPipelineStarterFactory()
            .AddPipelineApi()
            .AddPipelineApiEntraId()
            .AddWorkerTelemetry(configuration, credential);
    }

    /// <summary>The worker's logs and traces to Application Insights over OpenTelemetry, when
    /// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set; nothing otherwise (local runs keep the host's console).</summary>
    /// <remarks>host.json's <c>telemetryMode: OpenTelemetry</c> makes the host export only its own telemetry: the worker's
    /// <c>ILogger</c> records (the pipeline's failure and rollback logs, which the Bicep's alerts query in
    /// <c>traces</c>) reach Application Insights only through an exporter in the worker. The component has local
    /// authentication off, so the exporter signs in with <paramref name="credential"/> (Monitoring Metrics Publisher).</remarks>
    public static IServiceCollection AddWorkerTelemetry(this IServiceCollection services, IConfiguration configuration, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string? connectionString = configuration[ApplicationInsightsConnectionString];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                options.Credential = credential;
            });
        return services;
    }
}
