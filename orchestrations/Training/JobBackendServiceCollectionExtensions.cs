using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Training.AzureMl;
using GenAiServerless.Training.Prices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Training;

/// <summary>Wires the Azure ML job backend (the local one is wired by the local host).</summary>
public static class JobBackendServiceCollectionExtensions
{
    /// <summary>Jobs as Azure ML command jobs (section <c>AzureMl</c>, validated at start-up).</summary>
    public static IServiceCollection AddAzureMlJobBackend(this IServiceCollection services, TokenCredential credential)
    {
        services.AddOptions<AzureMlOptions>().BindConfiguration("AzureMl").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IJobBackend>(sp => AzureMlJobBackend.Create(credential, sp.GetRequiredService<IOptions<AzureMlOptions>>().Value));
        services.AddSingleton<ISpotPriceHistory>(_ => new ResourceGraphSpotPriceHistory(
            HttpPipelineBuilder.Build(new AzureMlClientOptions(), new BearerTokenAuthenticationPolicy(credential, "https://management.azure.com/.default"))));
        return services;
    }
}
