using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>A durable client that records what a trigger asked of the engine. The engine itself is tested elsewhere
/// (orchestrations, local host); here only the trigger's requests matter.</summary>
sealed class FakeDurableTaskClient() : DurableTaskClient("fake")
{
    public sealed record Scheduled(string Name, string InstanceId, object? Input);

    public sealed record RaisedEvent(string InstanceId, string EventName, object? Payload);

    public List<Scheduled> ScheduledInstances { get; } = [];

    public List<RaisedEvent> RaisedEvents { get; } = [];

    /// <summary>Instances the engine reports as existing; GetInstanceAsync returns null for any other id.</summary>
    public Dictionary<string, OrchestrationMetadata> Instances { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, every scheduled instance is also reported as existing from then on.</summary>
    public bool RememberScheduled { get; set; }

    public void Exists(string instanceId, string name, OrchestrationRuntimeStatus status) =>
        Instances[instanceId] = new OrchestrationMetadata(name, instanceId) { RuntimeStatus = status, CreatedAt = DateTimeOffset.UnixEpoch, LastUpdatedAt = DateTimeOffset.UnixEpoch };

    public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        string id = options?.InstanceId ?? throw new InvalidOperationException("the pipeline always names its instances");
        ScheduledInstances.Add(new Scheduled(orchestratorName.Name, id, input));
        if (RememberScheduled)
        {
            Exists(id, orchestratorName.Name, OrchestrationRuntimeStatus.Pending);
        }

        return Task.FromResult(id);
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        RaisedEvents.Add(new RaisedEvent(instanceId, eventName, eventPayload));
        return Task.CompletedTask;
    }

    public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        Task.FromResult(Instances.GetValueOrDefault(instanceId));

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        throw new NotSupportedException();

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        throw new NotSupportedException();

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        Pageable.Create((string? _, int? _, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>([.. Instances.Values], null)));

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
