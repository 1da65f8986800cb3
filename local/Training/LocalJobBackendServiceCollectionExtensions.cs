using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Local.Training;

/// <summary>Wires the local job backend.</summary>
public static class LocalJobBackendServiceCollectionExtensions
{
    /// <summary>Jobs as local child processes (section <c>LocalJobs</c>); no spot price history offline.</summary>
    public static IServiceCollection AddLocalJobBackend(this IServiceCollection services)
    {
        services.AddOptions<LocalJobOptions>().BindConfiguration("LocalJobs").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<LocalJobOptions>>().Value);
        services.AddSingleton<IJobBackend, LocalProcessJobBackend>();
        services.AddSingleton<ISpotPriceHistory, NoSpotPriceHistory>();
        return services;
    }
}
