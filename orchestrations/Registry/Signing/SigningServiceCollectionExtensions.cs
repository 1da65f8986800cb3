using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Registry.Signing.KeyVault;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Registry.Signing;

/// <summary>Wires the manifest signer: a Key Vault key (Azure) or a local key ring (the local stack).</summary>
public static class SigningServiceCollectionExtensions
{
    /// <summary>Signs with the Key Vault key <c>Signing:KeyName</c> in <c>Signing:KeyVaultUri</c>, as
    /// <paramref name="credential"/> (both settings checked at start-up).</summary>
    public static IServiceCollection AddKeyVaultManifestSigning(this IServiceCollection services, TokenCredential credential)
    {
        services.AddOptions<SigningOptions>().BindConfiguration("Signing")
            .Validate(o => o.KeyVaultUri is { IsAbsoluteUri: true, Scheme: "https" }, "Signing:KeyVaultUri: the key vault's https URI is required (the Bicep sets it)")
            .Validate(o => !string.IsNullOrWhiteSpace(o.KeyName), "Signing:KeyName: the name of the RSA signing key in the vault is required (the Bicep sets it)")
            .ValidateOnStart();
        services.Replace(ServiceDescriptor.Singleton<IManifestSigner>(sp =>
        {
            SigningOptions options = sp.GetRequiredService<IOptions<SigningOptions>>().Value;
            HttpPipeline pipeline = HttpPipelineBuilder.Build(new KeyVaultClientOptions(), new BearerTokenAuthenticationPolicy(credential, KeyVaultKeysClient.Scope));
            return new KeyVaultManifestSigner(new KeyVaultKeysClient(pipeline, options.KeyVaultUri!, options.ApiVersion), options.KeyName!, options.KeyVersion);
        }));
        return services;
    }

    /// <summary>Signs with a key ring in <paramref name="folder"/> (created on first use, readable only by the owner).</summary>
    public static IServiceCollection AddLocalKeyRing(this IServiceCollection services, string folder)
    {
        services.Replace(ServiceDescriptor.Singleton<IManifestSigner>(new LocalKeyRing(folder)));
        return services;
    }
}
