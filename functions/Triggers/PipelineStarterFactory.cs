using GenAiServerless.Triggers;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
    /// <summary>Adds the factory, and takes out the container-made <see cref="PipelineStarter"/>: no
    /// <see cref="DurableTaskClient"/> lives in this container, so that registration could never be resolved (and would
    /// fail the container's validation at start-up).</summary>
    public static IServiceCollection AddPipelineStarterFactory(this IServiceCollection services)
    {
        services.AddSingleton<PipelineStarterFactory>();
        services.RemoveAll<PipelineStarter>();
        return services;
    }
}
