using Azure.Identity;
using GenAiServerless.Api;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Functions.Hosting;

/// <summary>The Functions app's services in one call, so Program.cs and the tests that check the deployed settings
/// against the app's options build the very same container.</summary>
public static class FunctionsAppServiceCollectionExtensions
{
    /// <summary>Storage clients (from <paramref name="configuration"/>), the pipeline and its validated options, the Azure ML
    /// job backend, endpoint host and registry mirror, the per-call starter factory, and the HTTP API with Entra ID
    /// bearer tokens (section <c>Api:EntraId</c>).</summary>
    public static IServiceCollection AddGenAiFunctionsApp(this IServiceCollection services, IConfiguration configuration) =>
        services
            .AddStorageClients(configuration)
            .AddPipelineServices()
            .AddAzureMl(new DefaultAzureCredential())
            .AddPipelineStarterFactory()
            .AddPipelineApi()
            .AddPipelineApiEntraId();
}
