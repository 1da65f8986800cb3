using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Training.AzureMl;
using GenAiServerless.Training.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Training;

/// <summary>Wires one of the two job backends.</summary>
public static class JobBackendServiceCollectionExtensions
{
    /// <summary>Jobs as local child processes (section <c>LocalJobs</c>).</summary>
    public static IServiceCollection AddLocalJobBackend(this IServiceCollection services)
    {
        services.AddOptions<LocalJobOptions>().BindConfiguration("LocalJobs").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<LocalJobOptions>>().Value);
        services.AddSingleton<IJobBackend, LocalProcessJobBackend>();
        services.AddSingleton<ISpotPriceHistory, NoSpotPriceHistory>();
        return services;
    }

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
