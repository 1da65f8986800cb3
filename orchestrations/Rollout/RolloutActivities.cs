using Microsoft.DurableTask;

namespace GenAiServerless.Rollout;

/// <summary>Reads an endpoint's deployments and traffic.</summary>
[DurableTask(nameof(GetEndpoint))]
public sealed class GetEndpoint(IEndpointHost host) : TaskActivity<string, EndpointInfo>
{
    public override Task<EndpointInfo> RunAsync(TaskActivityContext context, string input) => host.GetEndpointAsync(input, CancellationToken.None);
}

/// <summary>Creates a deployment of a registered version (idempotent by deployment name).</summary>
[DurableTask(nameof(CreateDeployment))]
public sealed class CreateDeployment(IEndpointHost host) : TaskActivity<DeploymentSpec, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, DeploymentSpec input)
    {
        await host.CreateDeploymentAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>Sets the endpoint's traffic split.</summary>
[DurableTask(nameof(ShiftTraffic))]
public sealed class ShiftTraffic(IEndpointHost host) : TaskActivity<TrafficSplit, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, TrafficSplit input)
    {
        await host.SetTrafficAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>Deletes a deployment.</summary>
[DurableTask(nameof(DeleteDeployment))]
public sealed class DeleteDeployment(IEndpointHost host) : TaskActivity<DeploymentRef, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, DeploymentRef input)
    {
        await host.DeleteDeploymentAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>Sends a few scoring requests and reports what answered. Failures are data here, not exceptions:
/// the orchestrator decides whether they mean a rollback.</summary>
[DurableTask(nameof(ProbeEndpoint))]
public sealed class ProbeEndpoint(IEndpointHost host) : TaskActivity<ProbeRequest, ProbeResult>
{
    public override async Task<ProbeResult> RunAsync(TaskActivityContext context, ProbeRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int ok = 0, failed = 0;
        string? sample = null, firstError = null;
        var by = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < input.Requests; i++)
        {
            try
            {
                // An answer, even an empty completion, is a success: a generative model may well stop at once. What fails
                // a probe is an endpoint that does not answer.
                ScoreResult r = await host.ScoreAsync(input.Endpoint, input.Prompt, input.Deployment, CancellationToken.None);
                ok++;
                sample ??= r.Completion;
                by[r.Deployment] = by.GetValueOrDefault(r.Deployment) + 1;
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or KeyNotFoundException or TimeoutException)
            {
                failed++;
                firstError ??= e.Message;
            }
        }

        return new ProbeResult(ok, failed, by, sample, firstError);
    }
}
