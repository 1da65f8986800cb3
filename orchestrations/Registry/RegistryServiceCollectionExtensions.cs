using Azure.Core;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Registry.AzureMl;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Registry;

/// <summary>Wires the model registry (in blob storage), its verifier and its activities. The host adds the manifest
/// signer: <c>AddKeyVaultManifestSigning</c> on Azure, <c>AddLocalKeyRing</c> on this machine.</summary>
public static class RegistryServiceCollectionExtensions
{
    public static IServiceCollection AddModelRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BlobModelRegistry>();
        services.TryAddSingleton<IModelRegistry>(sp => sp.GetRequiredService<BlobModelRegistry>());
        services.TryAddSingleton<ModelVersionVerifier>();
        return services;
    }

    /// <summary>Mirrors the registry into the Azure ML workspace (<see cref="AzureMlModelRegistry"/>): the blob registry
    /// stays the source of truth, every version and alias move is also written as a model asset.</summary>
    public static IServiceCollection AddAzureMlModelRegistry(this IServiceCollection services, TokenCredential credential)
    {
        services.AddAzureMlClient(credential);
        services.TryAddSingleton<BlobModelRegistry>();
        services.Replace(ServiceDescriptor.Singleton<IModelRegistry>(sp => new AzureMlModelRegistry(
            sp.GetRequiredService<BlobModelRegistry>(), sp.GetRequiredService<AzureMlClient>())));
        return services;
    }

    public static DurableTaskRegistry AddRegistryTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddActivity<RegisterModelVersion>()
            .AddActivity<SetModelAlias>()
            .AddActivity<GetModelVersion>()
            .AddActivity<VerifyModelVersion>();
    }
}
