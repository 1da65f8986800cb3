using System.Globalization;
using GenAiServerless.Platform;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Rollout;

/// <summary>Rolls a registered version out to the model's endpoint: new deployment → readiness → pinned smoke probe →
/// traffic steps, each baked under analysis (the new deployment's metrics against the current one's every interval, and
/// a quality probe) → aliases moved (<c>champion</c> new, <c>previous</c> old) → the previous deployment kept warm at
/// 0 % for a grace period → retired. Any failure, or an operator's rollback, runs the compensations in reverse: aliases
/// back (champion to the version serving again, previous as before the rollout), traffic back to the previous
/// deployment, the new one deleted. Operators pause and resume through
/// <see cref="RolloutCommand"/>; a paused bake keeps being analysed, its clock stopped.</summary>
[DurableTask(nameof(RolloutOrchestrator))]
public sealed class RolloutOrchestrator : TaskOrchestrator<RolloutRequest, RolloutResult>
{
    const int ProbeRequests = 5;

    public override async Task<RolloutResult> RunAsync(TaskOrchestrationContext context, RolloutRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        DeployableModel model = input.Model;
        RolloutPolicy policy = input.Policy;
        string endpoint = model.Model;
        string deployment = DeploymentName(model.Version, context.InstanceId);
        var steps = new List<string>();
        var compensations = new List<Func<Task>>();
        var commands = new OperatorCommands(context);

        EndpointInfo before = await context.CallActivityAsync<EndpointInfo>(nameof(GetEndpoint), endpoint, PipelineRetry.Activity);
        string? previous = before.Traffic.Where(t => t.Value > 0 && t.Key != deployment).OrderByDescending(t => t.Value).Select(t => t.Key).FirstOrDefault();
        int? previousVersion = before.Deployments.FirstOrDefault(d => d.Name == previous)?.ModelVersion;

        try
        {
            context.SetCustomStatus(new RolloutProgress("provisioning", deployment, 0, false));
            await context.CallActivityAsync<bool>(nameof(CreateDeployment), new DeploymentSpec(endpoint, deployment, model), PipelineRetry.Activity);
            compensations.Add(() => context.CallActivityAsync<bool>(nameof(DeleteDeployment), new DeploymentRef(endpoint, deployment), PipelineRetry.Activity));
            steps.Add($"created deployment {deployment} (v{model.Version})");

            await WaitUntilReadyAsync(context, policy, endpoint, deployment);
            steps.Add($"{deployment} ready");
            ProbeResult pinned = await ProbeWhenReadyAsync(context, policy, endpoint, deployment);
            if (pinned.Failed > 0)
            {
                throw new RolloutFailedException($"{deployment} does not answer: {pinned.FirstError}");
            }

            steps.Add($"{deployment} answers pinned requests");

            // From here on a failure must put the traffic back where it was before the new deployment is removed.
            compensations.Add(() => context.CallActivityAsync<bool>(nameof(ShiftTraffic), new TrafficSplit(endpoint, before.Traffic), PipelineRetry.Activity));
            string? answer = pinned.SampleAnswer;

            // With no previous deployment there is nothing to split traffic with: the new one takes it all at once.
            IReadOnlyList<int> trafficSteps = previous is null ? [100] : policy.TrafficSteps;
            AnalysisPolicy analysis = policy.Analysis ?? ProbesOnly(policy.ProbePrompt);
            foreach (int percent in trafficSteps)
            {
                var split = new Dictionary<string, int>(StringComparer.Ordinal) { [deployment] = percent };
                if (previous is not null && percent < 100)
                {
                    split[previous] = 100 - percent;
                }

                await context.CallActivityAsync<bool>(nameof(ShiftTraffic), new TrafficSplit(endpoint, split), PipelineRetry.Activity);
                steps.Add($"traffic {FormatSplit(split)}");
                await WaitUntilReadyAsync(context, policy, endpoint, deployment);
                var step = new BakeStep(endpoint, deployment, previous, percent, context.CurrentUtcDateTime, analysis);
                CanaryVerdict verdict = await BakeAsync(context, policy, step, commands, steps);
                string quality = verdict.Quality is { } q ? $"; {q.Detail}" : string.Empty;
                steps.Add($"analysis at {percent}%: {(verdict.Outcome == CanaryOutcome.Inconclusive ? "no verdict: " : string.Empty)}{verdict.Reason}{quality}");
            }

            // Promotion: the registry follows the endpoint while the previous deployment is still warm, so a failure
            // here (or a rollback in the grace period) is a traffic change and an alias move back.
            context.SetCustomStatus(new RolloutProgress("promoting", deployment, 100, false));
            // The compensation goes in before the move, so a move that fails half way (the registry moved, its mirror did
            // not) is undone too: champion back to the version serving again (none on a first deployment), previous to
            // what it was before the rollout, and this version the target of neither.
            RolloutAliasState aliases = await context.CallActivityAsync<RolloutAliasState>(nameof(ReadModelAliases), model.Model, PipelineRetry.Activity);
            compensations.Add(() => context.CallActivityAsync<bool>(nameof(RestoreModelAliases),
                new AliasRollback(model.Model, model.Version, previousVersion, aliases.Previous), PipelineRetry.Activity));
            await context.CallActivityAsync<bool>(nameof(MoveModelAliases), new AliasPromotion(model.Model, model.Version, previousVersion), PipelineRetry.Activity);

            steps.Add($"alias champion → v{model.Version}" + (previousVersion is null ? string.Empty : $", previous → v{previousVersion}"));
            if (previous is not null)
            {
                steps.Add($"{previous} kept warm at 0% for {policy.PromotionGrace}");
                context.SetCustomStatus(new RolloutProgress("grace", deployment, 100, false));
                await HoldAsync(context, policy.PromotionGrace, commands, steps);

                // Retired after the grace period: nothing moves in the registry any more, so a failure to delete leaves a
                // deployment at 0 % to clean up, never an endpoint and a registry that disagree.
                try
                {
                    await context.CallActivityAsync<bool>(nameof(DeleteDeployment), new DeploymentRef(endpoint, previous), PipelineRetry.Activity);
                    steps.Add($"retired {previous}");
                }
                catch (TaskFailedException e)
                {
                    steps.Add($"{previous} not retired (it takes no traffic; delete it by hand): {e.FailureDetails.ErrorMessage}");
                }
            }

            context.SetCustomStatus(new RolloutProgress("done", deployment, 100, false));
            return new RolloutResult(true, deployment, previous, steps, answer, "rolled out");
        }
        catch (Exception e) when (e is RolloutFailedException or TaskFailedException)
        {
            string reason = e is TaskFailedException tf ? tf.FailureDetails.ErrorMessage : e.Message;
            steps.Add($"rollback: {reason}");
            context.SetCustomStatus(new RolloutProgress("rolling back", deployment, 0, false));
            for (int i = compensations.Count - 1; i >= 0; i--)
            {
                await compensations[i]();
            }

            steps.Add(previous is null ? "rolled back: endpoint left without the new deployment" : $"rolled back: traffic on {previous}");
            RolloutLog.RolledBack(context.CreateReplaySafeLogger<RolloutOrchestrator>(), endpoint, deployment, previous ?? "(none)", reason);
            context.SetCustomStatus(new RolloutProgress("rolled back", deployment, 0, false));
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

    /// <summary>Bakes one step: every analysis interval a durable timer, then the canary judged on the step's window (the
    /// quality probe with the first judgement). A failed judgement rolls back at once. Operator commands end a wait early;
    /// while paused the bake clock stops and the analysis goes on. A step with no bake time is judged once.</summary>
    static async Task<CanaryVerdict> BakeAsync(TaskOrchestrationContext context, RolloutPolicy policy, BakeStep step, OperatorCommands commands, List<string> steps)
    {
        TimeSpan bake = policy.BakeTime;
        TimeSpan interval = step.Analysis.Interval > TimeSpan.Zero ? step.Analysis.Interval : TimeSpan.FromSeconds(1);
        TimeSpan baked = TimeSpan.Zero;
        CanaryVerdict? verdict = null;
        while (baked < bake || commands.Paused)
        {
            context.SetCustomStatus(new RolloutProgress(commands.Paused ? "paused" : "baking", step.Canary, step.Percent, commands.Paused));
            TimeSpan wait = commands.Paused ? interval : Min(interval, bake - baked);
            DateTime started = context.CurrentUtcDateTime;
            if (await commands.WaitAsync(started + wait) is { } command)
            {
                if (!commands.Paused)
                {
                    baked += context.CurrentUtcDateTime - started;
                }

                Obey(command, commands, steps, step.Percent);
                continue;
            }

            if (!commands.Paused)
            {
                baked += wait;
            }

            // The quality probe runs with the first judgement; a later one keeps its figures in the reason.
            CanaryVerdict judged = await JudgeAsync(context, policy, step, probe: verdict is null);
            verdict = judged.Quality is null && verdict?.Quality is { } quality ? judged with { Quality = quality } : judged;
        }

        return verdict ?? await JudgeAsync(context, policy, step, probe: true);
    }

    /// <summary>Judges the canary; a failed judgement while the canary is not ready (its host restarted and reloads the
    /// model, so the quality probe met a closed connection) is repeated once it is ready again, as a probe is.</summary>
    static async Task<CanaryVerdict> JudgeAsync(TaskOrchestrationContext context, RolloutPolicy policy, BakeStep step, bool probe)
    {
        var request = new CanaryAnalysisRequest(step.Endpoint, step.Canary, step.Baseline, step.From, step.Analysis, probe);
        CanaryVerdict verdict = await context.CallActivityAsync<CanaryVerdict>(nameof(AnalyzeCanary), request, PipelineRetry.Activity);
        if (verdict.Outcome == CanaryOutcome.Fail && !await IsReadyAsync(context, step.Endpoint, step.Canary))
        {
            await WaitUntilReadyAsync(context, policy, step.Endpoint, step.Canary);
            verdict = await context.CallActivityAsync<CanaryVerdict>(nameof(AnalyzeCanary), request, PipelineRetry.Activity);
        }

        return verdict.Outcome == CanaryOutcome.Fail ? throw new RolloutFailedException($"analysis at {step.Percent}%: {verdict.Reason}") : verdict;
    }

    /// <summary>The grace period after promotion: a rollback command still rolls back; a pause holds the retirement.</summary>
    static async Task HoldAsync(TaskOrchestrationContext context, TimeSpan grace, OperatorCommands commands, List<string> steps)
    {
        DateTime until = context.CurrentUtcDateTime + grace;
        while (context.CurrentUtcDateTime < until || commands.Paused)
        {
            RolloutCommand? command = commands.Paused ? await commands.NextAsync() : await commands.WaitAsync(until);
            if (command is null)
            {
                break;
            }

            Obey(command, commands, steps, 100);
        }
    }

    static void Obey(RolloutCommand command, OperatorCommands commands, List<string> steps, int percent)
    {
        switch (command.Action)
        {
            case RolloutAction.Rollback:
                throw new RolloutFailedException($"rolled back by {command.By} at {percent}%");
            case RolloutAction.Pause when !commands.Paused:
                commands.Paused = true;
                steps.Add($"paused by {command.By} at {percent}%");
                break;
            case RolloutAction.Resume when commands.Paused:
                commands.Paused = false;
                steps.Add($"resumed by {command.By}");
                break;
            default:
                break; // a pause of a paused rollout, a resume of a running one: nothing to do
        }
    }

    /// <summary>Without an analysis policy only the probes judge: metrics never reach a verdict.</summary>
    static AnalysisPolicy ProbesOnly(string prompt) => new(TimeSpan.FromSeconds(1), int.MaxValue, double.MaxValue, 1, double.MaxValue, TimeSpan.MaxValue, [prompt]);

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

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

/// <summary>One step of the canary: the deployments compared and the window's start.</summary>
sealed record BakeStep(string Endpoint, string Canary, string? Baseline, int Percent, DateTime From, AnalysisPolicy Analysis);

/// <summary>The rollout's custom status: the phase, the new deployment, its traffic share, and whether it is paused.</summary>
public sealed record RolloutProgress(string Phase, string Deployment, int Percent, bool Paused);

/// <summary>The operator's commands to this rollout (external event <see cref="RolloutCommand.EventName"/>), one pending
/// wait at a time, so no command is lost between waits.</summary>
sealed class OperatorCommands(TaskOrchestrationContext context)
{
    Task<RolloutCommand>? pending;

    public bool Paused { get; set; }

    /// <summary>The next command, or null when <paramref name="until"/> comes first.</summary>
    public async Task<RolloutCommand?> WaitAsync(DateTime until)
    {
        Task<RolloutCommand> next = pending ??= context.WaitForExternalEvent<RolloutCommand>(RolloutCommand.EventName);
        // The timer is not cancelled when a command wins: an abandoned durable timer's firing is ignored, and a
        // cancelled one hung the in-process engine the tests run on.
        Task timer = context.CreateTimer(until, CancellationToken.None);
        if (await Task.WhenAny(timer, next) == timer)
        {
            return null;
        }

        pending = null;
        return await next;
    }

    public async Task<RolloutCommand> NextAsync()
    {
        Task<RolloutCommand> next = pending ??= context.WaitForExternalEvent<RolloutCommand>(RolloutCommand.EventName);
        RolloutCommand command = await next;
        pending = null;
        return command;
    }
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
