using Azure.Core;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Training.AzureMl;
using GenAiServerless.Training.Prices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Training;

/// <summary>Wires the Azure ML job backend (the local one is wired by the local host).</summary>
public static class JobBackendServiceCollectionExtensions
{
    /// <summary>Jobs as Azure ML command jobs (section <c>AzureMl</c>, validated at start-up) and spot price history from
    /// Azure Resource Graph. The jobs' code asset (<see cref="AzureMlCodeAsset"/>) is registered by the composition
    /// (<c>AddAzureMl</c>), which knows the components folder.</summary>
    public static IServiceCollection AddAzureMlJobBackend(this IServiceCollection services, TokenCredential credential)
    {
        services.AddAzureMlClient(credential);
        services.AddSingleton<IJobBackend, AzureMlJobBackend>();
        services.AddSingleton<ISpotPriceHistory>(sp => new ResourceGraphSpotPriceHistory(
            AzureMlServiceCollectionExtensions.Pipeline(sp.GetRequiredService<IOptions<AzureMlOptions>>().Value, credential),
            sp.GetRequiredService<IOptions<AzureMlOptions>>().Value.ArmEndpoint));
        return services;
    }
}
