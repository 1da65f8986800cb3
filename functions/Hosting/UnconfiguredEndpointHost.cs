using GenAiServerless.Rollout;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace GenAiServerless.Functions.Hosting;

/// <summary>The <see cref="IEndpointHost"/> of the Functions app until the Azure ML online-endpoint adapter exists:
/// every call fails loudly, so a rollout stops at its first endpoint step instead of pretending to deploy.</summary>
public sealed class UnconfiguredEndpointHost : IEndpointHost
{
    public const string Reason =
        "The Azure ML online-endpoint adapter is not implemented yet: the Functions app cannot create deployments, shift "
        + "traffic or score. Rollouts run end to end only in the local host (Kestrel endpoint host) for now.";

    public Task CreateDeploymentAsync(DeploymentSpec spec, CancellationToken cancellationToken) => throw NotSupported(nameof(CreateDeploymentAsync));

    public Task<EndpointInfo> GetEndpointAsync(string endpoint, CancellationToken cancellationToken) => throw NotSupported(nameof(GetEndpointAsync));

    public Task SetTrafficAsync(TrafficSplit split, CancellationToken cancellationToken) => throw NotSupported(nameof(SetTrafficAsync));

    public Task<ScoreResult> ScoreAsync(string endpoint, string prompt, string? deployment, CancellationToken cancellationToken) => throw NotSupported(nameof(ScoreAsync));

    public Task DeleteDeploymentAsync(DeploymentRef deployment, CancellationToken cancellationToken) => throw NotSupported(nameof(DeleteDeploymentAsync));

    static NotSupportedException NotSupported(string operation) => new($"{nameof(IEndpointHost)}.{operation}: {Reason}");
}

/// <summary>Wires <see cref="UnconfiguredEndpointHost"/>.</summary>
public static class EndpointHostServiceCollectionExtensions
{
    /// <summary>Registers <see cref="UnconfiguredEndpointHost"/> unless an <see cref="IEndpointHost"/> is registered already.</summary>
    public static IServiceCollection AddUnconfiguredEndpointHost(this IServiceCollection services)
    {
        services.TryAddSingleton<IEndpointHost, UnconfiguredEndpointHost>();
        return services;
    }
}
