using GenAiServerless.Triggers;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Functions.Triggers;

/// <summary>Builds the shared <see cref="PipelineStarter"/> around the durable client a trigger was bound to.</summary>
/// <remarks>In Durable Functions the client comes from the <c>[DurableClient]</c> binding of each invocation, not
/// from the container, so the starter is made per call; its other dependencies are the app's singletons.</remarks>
public sealed class PipelineStarterFactory(IServiceProvider services)
{
    public PipelineStarter Create(DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return ActivatorUtilities.CreateInstance<PipelineStarter>(services, client);
    }
}

/// <summary>Wires <see cref="PipelineStarterFactory"/>.</summary>
public static class PipelineStarterFactoryServiceCollectionExtensions
{
    /// <summary>Adds the factory. No <see cref="DurableTaskClient"/> lives in this container (each trigger binds its
    /// own), so the starter is made per call rather than registered.</summary>
    public static IServiceCollection AddPipelineStarterFactory(this IServiceCollection services)
    {
        services.AddSingleton<PipelineStarterFactory>();
        return services;
    }
}
