using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Platform.AzureMl;

/// <summary>Wires the Azure ML REST client: options validated at start-up, the credential, the pipeline.</summary>
public static class AzureMlServiceCollectionExtensions
{
    /// <summary>The <see cref="AzureMlClient"/> (section <c>AzureMl</c>), authenticated with <paramref name="credential"/>
    /// unless <see cref="AzureMlOptions.StaticToken"/> names a fixed token (an emulator).</summary>
    public static IServiceCollection AddAzureMlClient(this IServiceCollection services, TokenCredential credential)
    {
        if (services.Any(d => d.ServiceType == typeof(AzureMlClient)))
        {
            return services; // wired once, whichever stage asks first
        }

        services.AddOptions<AzureMlOptions>().BindConfiguration("AzureMl").ValidateDataAnnotations()
            .Validate(o => o.StaticToken is null || o.ArmEndpoint.IsLoopback, "AzureMl:StaticToken is for an emulator on this machine only: AzureMl:ArmEndpoint must be a loopback address")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp =>
        {
            AzureMlOptions options = sp.GetRequiredService<IOptions<AzureMlOptions>>().Value;
            return new AzureMlClient(Pipeline(options, credential), options, sp.GetRequiredService<TimeProvider>());
        });
        return services;
    }

    /// <summary>The HTTP pipeline: the app's identity for ARM over TLS, or the emulator's fixed token.</summary>
    public static HttpPipeline Pipeline(AzureMlOptions options, TokenCredential credential, ClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        HttpPipelinePolicy authentication = options.StaticToken is { } token
            ? new StaticBearerPolicy(token)
            : new BearerTokenAuthenticationPolicy(credential, AzureMlClient.ArmScope);
        return HttpPipelineBuilder.Build(clientOptions ?? new AzureMlClientOptions(), authentication);
    }

    /// <summary>Adds a fixed bearer token: the SDK's bearer policy refuses plain HTTP, which an emulator on loopback speaks.</summary>
    sealed class StaticBearerPolicy(string token) : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message) => message.Request.Headers.SetValue("Authorization", $"Bearer {token}");
    }
}
