using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Registry;

/// <summary>Wires the model registry (in blob storage) and its activities.</summary>
public static class RegistryServiceCollectionExtensions
{
    public static IServiceCollection AddModelRegistry(this IServiceCollection services)
    {
        services.AddSingleton<IModelRegistry, BlobModelRegistry>();
        return services;
    }

    public static DurableTaskRegistry AddRegistryTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddActivity<RegisterModelVersion>()
            .AddActivity<SetModelAlias>()
            .AddActivity<GetModelVersion>();
    }
}
