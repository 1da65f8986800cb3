using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

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
            .AddActivity<ProbeEndpoint>();
    }
}
