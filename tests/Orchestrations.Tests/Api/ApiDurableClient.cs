using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Tests.Orchestrations.Api;

/// <summary>A durable client whose instances the test sets up and whose requests it records: the API's routes are
/// under test here, the engine is tested with the orchestrators.</summary>
sealed class ApiDurableClient() : DurableTaskClient("api-tests")
{
    public sealed record RaisedEvent(string InstanceId, string EventName, object? Payload);

    readonly Lock gate = new();
    readonly Dictionary<string, OrchestrationMetadata> instances = new(StringComparer.Ordinal);
    readonly List<RaisedEvent> raised = [];
    readonly List<string> scheduled = [];
    readonly List<(string Id, string? Reason)> terminated = [];

    public IReadOnlyList<RaisedEvent> Raised { get { lock (gate) { return [.. raised]; } } }

    public IReadOnlyList<string> Scheduled { get { lock (gate) { return [.. scheduled]; } } }

    public IReadOnlyList<(string Id, string? Reason)> Terminated { get { lock (gate) { return [.. terminated]; } } }

    public void Exists(string id, string name, OrchestrationRuntimeStatus status, string? customStatus = null)
    {
        lock (gate)
        {
            instances[id] = new OrchestrationMetadata(name, id)
            {
                RuntimeStatus = status,
                CreatedAt = DateTimeOffset.UnixEpoch,
                LastUpdatedAt = DateTimeOffset.UnixEpoch,
                SerializedCustomStatus = customStatus,
                DataConverter = Microsoft.DurableTask.Converters.JsonDataConverter.Default,
            };
        }
    }

    public override Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        string id = options?.InstanceId ?? throw new InvalidOperationException("the pipeline always names its instances");
        lock (gate)
        {
            scheduled.Add(id);
        }

        return Task.FromResult(id);
    }

    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        lock (gate)
        {
            raised.Add(new RaisedEvent(instanceId, eventName, eventPayload));
        }

        return Task.CompletedTask;
    }

    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        lock (gate)
        {
            terminated.Add((instanceId, options?.Output as string));
        }

        return Task.CompletedTask;
    }

    public override Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        lock (gate)
        {
            return Task.FromResult(instances.GetValueOrDefault(instanceId));
        }
    }

    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        List<OrchestrationMetadata> all;
        lock (gate)
        {
            all = [.. instances.Values];
        }

        return Pageable.Create((string? _, int? _, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>(all, null)));
    }

    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        throw new NotSupportedException();

    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        throw new NotSupportedException();

    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) => throw new NotSupportedException();

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
