using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Local.Engine;

/// <summary>Sits between the gRPC sidecar and the Azure Storage backend and rewrites the two things the sidecar
/// produces that the backend cannot store (found by running it):
/// <list type="number">
/// <item>the sidecar records a sub-orchestration's start as <c>GrpcSubOrchestrationInstanceCreatedEvent</c>, a subclass
/// without <c>[DataContract]</c>: the backend writes a history row with no properties and the parent can never be
/// loaded again. It becomes a plain <see cref="SubOrchestrationInstanceCreatedEvent"/>;</item>
/// <item>the sub-orchestration's start message carries its tags as a protobuf <c>MapField</c>, which the queue
/// serializer cannot read back (a poison message retried forever). The tags become a plain dictionary.</item>
/// </list>
/// It also makes stopping safe: the sidecar stops the backend from an <c>async void</c> callback on host shutdown, so
/// any exception of the stop takes the process down. Stopping a backend that never started throws, and so does a stop
/// while storage is unreachable (the backend waits ten minutes for its partition manager, then throws a
/// <see cref="TimeoutException"/>): here a stop before a start, or a second stop, does nothing, and a failed stop is
/// logged, not thrown. Every other call passes straight through.</summary>
public sealed partial class SidecarCompatibleOrchestrationService(IOrchestrationService inner, ILogger? logger = null) : IOrchestrationService
{
    int started;
    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState)
    {
        ArgumentNullException.ThrowIfNull(workItem);
        RewriteEvents(workItem.OrchestrationRuntimeState);
        if (!ReferenceEquals(newOrchestrationRuntimeState, workItem.OrchestrationRuntimeState))
        {
            RewriteEvents(newOrchestrationRuntimeState);
        }

        foreach (TaskMessage message in orchestratorMessages ?? [])
        {
            RewriteTags(message);
        }

        RewriteTags(continuedAsNewMessage);
        return inner.CompleteTaskOrchestrationWorkItemAsync(
            workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);
    }

    /// <summary>Replaces sidecar-specific history events with the plain DurableTask.Core types, in place.</summary>
    public static void RewriteEvents(OrchestrationRuntimeState? state)
    {
        if (state is null)
        {
            return;
        }

        // The same event object sits in both lists: give both the same replacement.
        var replacements = new Dictionary<HistoryEvent, HistoryEvent>(ReferenceEqualityComparer.Instance);
        Replace(state.Events, replacements);
        Replace(state.NewEvents, replacements);
    }

    /// <summary>Turns an execution-started message's tags into a plain dictionary, in place.</summary>
    public static void RewriteTags(TaskMessage? message)
    {
        if (message?.Event is ExecutionStartedEvent { Tags: { } tags } started && tags.GetType() != typeof(Dictionary<string, string>))
        {
            started.Tags = new Dictionary<string, string>(tags);
        }
    }

    static void Replace(IList<HistoryEvent> events, Dictionary<HistoryEvent, HistoryEvent> replacements)
    {
        for (int i = 0; i < events.Count; i++)
        {
            if (events[i] is SubOrchestrationInstanceCreatedEvent created && created.GetType() != typeof(SubOrchestrationInstanceCreatedEvent))
            {
                if (replacements.TryGetValue(created, out HistoryEvent? done))
                {
                    events[i] = done;
                    continue;
                }

                events[i] = replacements[created] = new SubOrchestrationInstanceCreatedEvent(created.EventId)
                {
                    Name = created.Name,
                    Version = created.Version,
                    InstanceId = created.InstanceId,
                    Input = created.Input,
                    Timestamp = created.Timestamp,
                    IsPlayed = created.IsPlayed,
                };
            }
        }
    }

    public Task StartAsync()
    {
        Interlocked.Exchange(ref started, 1);
        return inner.StartAsync();
    }

    public Task StopAsync() => StopAsync(isForced: false);

    public Task StopAsync(bool isForced) => Interlocked.Exchange(ref started, 0) == 1 ? StopInnerAsync(isForced) : Task.CompletedTask;

    async Task StopInnerAsync(bool isForced)
    {
        try
        {
            await inner.StopAsync(isForced);
        }
#pragma warning disable CA1031 // The caller is the sidecar's async void callback: whatever escapes here ends the process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // The partition leases expire on their own: the next start takes them over once they have.
            if (logger is not null)
            {
                LogStopFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The durable engine did not stop cleanly (its partition leases expire on their own)")]
    static partial void LogStopFailed(ILogger logger, Exception exception);

    public Task CreateAsync() => inner.CreateAsync();

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        await WhileStoppedAsync(cancellationToken);
        TaskOrchestrationWorkItem workItem = await inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return workItem;
    }

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        await WhileStoppedAsync(cancellationToken);
        TaskActivityWorkItem workItem = await inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return workItem;
    }

    /// <summary>On shutdown the backend answers "no work" at once (it returns null on a cancelled token rather than
    /// throwing), and the sidecar's dispatch loop, which only leaves on an exception, then spins a core forever.
    /// Throwing on the cancelled token (above) and waiting while stopped (here) end that loop cleanly.</summary>
    async Task WhileStoppedAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref started) == 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) =>
        inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);

    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);
}
