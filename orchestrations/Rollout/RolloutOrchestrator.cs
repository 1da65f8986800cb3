using System.Globalization;
using GenAiServerless.Platform;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Rollout;

/// <summary>Rolls a registered version out to the model's endpoint: new deployment → readiness → traffic steps with
/// bake time and a probe after each → retire the previous deployment. Any failure runs the compensations in reverse:
/// traffic back to the previous deployment, the new one deleted. Moving the registry's aliases is the caller's part.</summary>
[DurableTask(nameof(RolloutOrchestrator))]
public sealed class RolloutOrchestrator : TaskOrchestrator<RolloutRequest, RolloutResult>
{
    const int ProbeRequests = 5;

    public override async Task<RolloutResult> RunAsync(TaskOrchestrationContext context, RolloutRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        DeployableModel model = input.Model;
        string endpoint = model.Model;
        string deployment = DeploymentName(model.Version, context.InstanceId);
        var steps = new List<string>();
        var compensations = new List<Func<Task>>();

        EndpointInfo before = await context.CallActivityAsync<EndpointInfo>(nameof(GetEndpoint), endpoint, PipelineRetry.Activity);
        string? previous = before.Traffic.Where(t => t.Value > 0 && t.Key != deployment).OrderByDescending(t => t.Value).Select(t => t.Key).FirstOrDefault();

        try
        {
            await context.CallActivityAsync<bool>(nameof(CreateDeployment), new DeploymentSpec(endpoint, deployment, model), PipelineRetry.Activity);
            compensations.Add(() => context.CallActivityAsync<bool>(nameof(DeleteDeployment), new DeploymentRef(endpoint, deployment), PipelineRetry.Activity));
            steps.Add($"created deployment {deployment} (v{model.Version})");

            await WaitUntilReadyAsync(context, input.Policy, endpoint, deployment);
            steps.Add($"{deployment} ready");
            ProbeResult pinned = await ProbeWhenReadyAsync(context, input.Policy, endpoint, deployment);
            if (pinned.Failed > 0)
            {
                throw new RolloutFailedException($"{deployment} does not answer: {pinned.FirstError}");
            }

            steps.Add($"{deployment} answers pinned requests");

            // From here on a failure must put the traffic back where it was before the new deployment is removed.
            compensations.Add(() => context.CallActivityAsync<bool>(nameof(ShiftTraffic), new TrafficSplit(endpoint, before.Traffic), PipelineRetry.Activity));
            ProbeResult? last = null;
            // With no previous deployment there is nothing to split traffic with: the new one takes it all at once.
            IReadOnlyList<int> trafficSteps = previous is null ? [100] : input.Policy.TrafficSteps;
            foreach (int percent in trafficSteps)
            {
                var split = new Dictionary<string, int>(StringComparer.Ordinal) { [deployment] = percent };
                if (previous is not null && percent < 100)
                {
                    split[previous] = 100 - percent;
                }

                await context.CallActivityAsync<bool>(nameof(ShiftTraffic), new TrafficSplit(endpoint, split), PipelineRetry.Activity);
                steps.Add($"traffic {FormatSplit(split)}");
                if (input.Policy.BakeTime > TimeSpan.Zero)
                {
                    await context.CreateTimer(context.CurrentUtcDateTime + input.Policy.BakeTime, CancellationToken.None);
                }

                // The canary is judged on its own answers (pinned), so a fault of the previous deployment never rolls it back.
                last = await ProbeWhenReadyAsync(context, input.Policy, endpoint, deployment);
                if (last.Failed > 0)
                {
                    throw new RolloutFailedException($"{last.Failed} of {ProbeRequests} requests failed at {percent}% on {deployment}: {last.FirstError}");
                }
            }

            if (previous is not null)
            {
                await context.CallActivityAsync<bool>(nameof(DeleteDeployment), new DeploymentRef(endpoint, previous), PipelineRetry.Activity);
                steps.Add($"retired {previous}");
            }

            return new RolloutResult(true, deployment, previous, steps, last?.SampleAnswer ?? pinned.SampleAnswer, "rolled out");
        }
        catch (Exception e) when (e is RolloutFailedException or TaskFailedException)
        {
            string reason = e is TaskFailedException tf ? tf.FailureDetails.ErrorMessage : e.Message;
            steps.Add($"rollback: {reason}");
            for (int i = compensations.Count - 1; i >= 0; i--)
            {
                await compensations[i]();
            }

            steps.Add(previous is null ? "rolled back: endpoint left without the new deployment" : $"rolled back: traffic on {previous}");
            RolloutLog.RolledBack(context.CreateReplaySafeLogger<RolloutOrchestrator>(), endpoint, deployment, previous ?? "(none)", reason);
            return new RolloutResult(false, deployment, previous, steps, null, reason);
        }
    }

    /// <summary>Probes the deployment pinned, once it reports ready. A deployment that is not ready is waited for, not
    /// judged: an endpoint host that restarted reloads its models, and a probe that ran meanwhile (it may have been in
    /// flight across the restart) is repeated once the deployment is ready again.</summary>
    static async Task<ProbeResult> ProbeWhenReadyAsync(TaskOrchestrationContext context, RolloutPolicy policy, string endpoint, string deployment)
    {
        var request = new ProbeRequest(endpoint, deployment, policy.ProbePrompt, ProbeRequests);
        await WaitUntilReadyAsync(context, policy, endpoint, deployment);
        ProbeResult result = await context.CallActivityAsync<ProbeResult>(nameof(ProbeEndpoint), request, PipelineRetry.Activity);
        if (result.Failed > 0 && !await IsReadyAsync(context, endpoint, deployment))
        {
            await WaitUntilReadyAsync(context, policy, endpoint, deployment);
            result = await context.CallActivityAsync<ProbeResult>(nameof(ProbeEndpoint), request, PipelineRetry.Activity);
        }

        return result;
    }

    /// <summary>Waits until the deployment reports <see cref="DeploymentProvisioning.Succeeded"/>, reading its state every
    /// <see cref="RolloutPolicy.ReadinessPollInterval"/>; a fixed interval lets the timeout bound the loop (and the history).</summary>
    static async Task WaitUntilReadyAsync(TaskOrchestrationContext context, RolloutPolicy policy, string endpoint, string deployment)
    {
        TimeSpan poll = policy.ReadinessPollInterval > TimeSpan.Zero ? policy.ReadinessPollInterval : TimeSpan.FromSeconds(1);
        int checks = (int)Math.Ceiling(policy.ReadinessTimeout / poll);
        for (int check = 0; check <= checks; check++)
        {
            if (await IsReadyAsync(context, endpoint, deployment))
            {
                return;
            }

            if (check < checks)
            {
                await context.CreateTimer(context.CurrentUtcDateTime + poll, CancellationToken.None);
            }
        }

        throw new RolloutFailedException($"deployment {deployment} was not ready within {policy.ReadinessTimeout}");
    }

    /// <summary>Whether the deployment is ready; a deployment that failed or disappeared ends the rollout.</summary>
    static async Task<bool> IsReadyAsync(TaskOrchestrationContext context, string endpoint, string deployment)
    {
        EndpointInfo now = await context.CallActivityAsync<EndpointInfo>(nameof(GetEndpoint), endpoint, PipelineRetry.Activity);
        DeploymentInfo? d = now.Deployments.FirstOrDefault(x => x.Name == deployment);
        if (d is null || d.State == DeploymentProvisioning.Failed)
        {
            throw new RolloutFailedException($"deployment {deployment} failed to provision: {d?.Detail ?? "it disappeared"}");
        }

        return d.State == DeploymentProvisioning.Succeeded;
    }

    /// <summary>Deployment names derive from the version and the orchestration instance, so a replay or a retried
    /// activity addresses the same deployment. Azure ML allows 3–32 characters, letters, digits and dashes.</summary>
    public static string DeploymentName(int version, string instanceId)
    {
        ulong h = System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(instanceId));
        return $"v{version.ToString(CultureInfo.InvariantCulture)}-{h.ToString("x8", CultureInfo.InvariantCulture)[..8]}";
    }

    static string FormatSplit(Dictionary<string, int> split) => string.Join(", ", split.Select(kv => $"{kv.Key} {kv.Value}%"));
}

/// <summary>The rollout's key log events.</summary>
static partial class RolloutLog
{
    /// <summary>Operations alert on this event (bicep/modules/alerts.bicep matches the message's start).</summary>
    [LoggerMessage(EventId = 200, EventName = "RolloutRolledBack", Level = LogLevel.Warning, Message = "Rollout rolled back: {Endpoint} deployment {Deployment}, traffic on {Previous}: {Reason}")]
    public static partial void RolledBack(ILogger logger, string endpoint, string deployment, string previous, string reason);
}

/// <summary>A rollout step failed; the orchestrator rolls back.</summary>
public sealed class RolloutFailedException : Exception
{
    public RolloutFailedException(string message)
        : base(message)
    {
    }

    public RolloutFailedException()
    {
    }

    public RolloutFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
