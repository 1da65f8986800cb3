using Azure.Identity;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry.Signing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Functions.Hosting;

/// <summary>The Functions app's services in one call, so Program.cs and the tests that check the deployed settings
/// against the app's options build the very same container.</summary>
public static class FunctionsAppServiceCollectionExtensions
{
    /// <summary>Storage clients (from <paramref name="configuration"/>), the pipeline and its validated options, the Azure ML
    /// job backend, endpoint host and registry mirror, the Key Vault key that signs model manifests
    /// (<c>Signing:KeyVaultUri</c>, <c>Signing:KeyName</c>), and the per-call starter factory.</summary>
    public static IServiceCollection AddGenAiFunctionsApp(this IServiceCollection services, IConfiguration configuration)
    {
        var credential = new DefaultAzureCredential();
        return services
            .AddStorageClients(configuration)
            .AddPipelineServices()
            .AddAzureMl(credential)
            .AddKeyVaultManifestSigning(credential)
            .AddPipelineStarterFactory();
    }
}
