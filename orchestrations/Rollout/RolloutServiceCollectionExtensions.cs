using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Platform.AzureMl;
using GenAiServerless.Rollout.AzureMl;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Rollout;

/// <summary>Wires progressive rollout: its options and its tasks. The host adds an <see cref="IEndpointHost"/>.</summary>
public static class RolloutServiceCollectionExtensions
{
    public static IServiceCollection AddRolloutStage(this IServiceCollection services)
    {
        services.AddOptions<RolloutOptions>().BindConfiguration("Rollout")
            .PostConfigure(o =>
            {
                if (o.TrafficSteps.Count == 0)
                {
                    o.TrafficSteps.AddRange(RolloutOptions.DefaultTrafficSteps);
                }
            })
            .ValidateDataAnnotations()
            .Validate(o => o.TrafficSteps.All(p => p is > 0 and <= 100) && o.TrafficSteps[^1] == 100, "Rollout:TrafficSteps: each step is 1–100 and the last is 100")
            .Validate(o => o.TrafficSteps.Zip(o.TrafficSteps.Skip(1)).All(p => p.First < p.Second), "Rollout:TrafficSteps: steps must increase")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<RolloutOptions>, AnalysisValidation>();
        return services;
    }

    /// <summary>Names the first invalid <c>Rollout:Analysis</c> setting and why.</summary>
    sealed class AnalysisValidation : IValidateOptions<RolloutOptions>
    {
        public ValidateOptionsResult Validate(string? name, RolloutOptions options) =>
            options.AnalysisProblem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }

    /// <summary>Rollouts to Azure ML managed online endpoints (section <c>AzureMl</c>). Scoring requests go out on a
    /// pipeline of their own without retries: a probe counts what failed, it does not hide it. The deployments' code
    /// asset (<see cref="AzureMlCodeAsset"/>) is registered by the composition (<c>AddAzureMl</c>).</summary>
    public static IServiceCollection AddAzureMlEndpointHost(this IServiceCollection services, TokenCredential credential)
    {
        services.AddAzureMlClient(credential);
        services.AddSingleton(sp => new AzureMlEndpointHost(
            sp.GetRequiredService<AzureMlClient>(),
            sp.GetRequiredService<AzureMlCodeAsset>(),
            HttpPipelineBuilder.Build(new AzureMlClientOptions { Retry = { MaxRetries = 0 } }),
            credential,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IEndpointHost>(sp => sp.GetRequiredService<AzureMlEndpointHost>());
        services.AddSingleton<IDeploymentMetrics>(sp => sp.GetRequiredService<AzureMlEndpointHost>());
        return services;
    }

    public static DurableTaskRegistry AddRolloutTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<RolloutOrchestrator>()
            .AddActivity<GetEndpoint>()
            .AddActivity<CreateDeployment>()
            .AddActivity<ShiftTraffic>()
            .AddActivity<DeleteDeployment>()
            .AddActivity<ProbeEndpoint>()
            .AddActivity<AnalyzeCanary>()
            .AddActivity<MoveModelAliases>()
            .AddActivity<ReadModelAliases>()
            .AddActivity<RestoreModelAliases>();
    }
}
