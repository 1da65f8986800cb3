using DurableTask.Core;
using DurableTask.Core.History;
using GenAiServerless.Local.Engine;
using Google.Protobuf.Collections;
using Microsoft.DurableTask.Testing.Sidecar.Dispatcher;

namespace GenAiServerless.Tests.Local.Engine;

/// <summary>The two rewrites the Azure Storage backend needs from the sidecar. Without them the backend stores a
/// history row with no properties (the parent orchestration can never load again) and a poison start message.
/// The end-to-end test exercises the same path for real, since the pipeline runs its stages as sub-orchestrations.</summary>
public sealed class SidecarCompatibleOrchestrationServiceTests
{
    [Fact]
    public void RewriteEvents_SidecarSubOrchestrationEvent_BecomesPlainDataContractEvent()
    {
        var state = new OrchestrationRuntimeState();
        state.AddEvent(new ExecutionStartedEvent(-1, "{}") { Name = "Parent", OrchestrationInstance = new OrchestrationInstance { InstanceId = "p", ExecutionId = "e" } });
        state.AddEvent(new GrpcSubOrchestrationInstanceCreatedEvent(3) { Name = "Child", Version = "1", InstanceId = "p-child", Input = "{\"x\":1}" });

        SidecarCompatibleOrchestrationService.RewriteEvents(state);

        HistoryEvent rewritten = state.Events[^1];
        Assert.Equal(typeof(SubOrchestrationInstanceCreatedEvent), rewritten.GetType());
        var created = (SubOrchestrationInstanceCreatedEvent)rewritten;
        Assert.Equal(3, created.EventId);
        Assert.Equal("Child", created.Name);
        Assert.Equal("p-child", created.InstanceId);
        Assert.Equal("{\"x\":1}", created.Input);
        Assert.Same(rewritten, state.NewEvents[^1]);
    }

    [Fact]
    public void RewriteTags_ProtobufMapField_BecomesPlainDictionary()
    {
        var tags = new MapField<string, string> { ["source"] = "pipeline" };
        var message = new TaskMessage { Event = new ExecutionStartedEvent(-1, "{}") { Tags = tags } };

        SidecarCompatibleOrchestrationService.RewriteTags(message);

        IDictionary<string, string> after = ((ExecutionStartedEvent)message.Event).Tags;
        Assert.Equal(typeof(Dictionary<string, string>), after.GetType());
        Assert.Equal("pipeline", after["source"]);
    }

    [Fact]
    public void RewriteEvents_PlainEvents_LeftUntouched()
    {
        var state = new OrchestrationRuntimeState();
        var plain = new SubOrchestrationInstanceCreatedEvent(1) { Name = "Child", InstanceId = "c" };
        state.AddEvent(new ExecutionStartedEvent(-1, "{}") { Name = "Parent", OrchestrationInstance = new OrchestrationInstance { InstanceId = "p", ExecutionId = "e" } });
        state.AddEvent(plain);

        SidecarCompatibleOrchestrationService.RewriteEvents(state);

        Assert.Same(plain, state.Events[^1]);
    }

    [Fact]
    public async Task StopAsync_BackendThrowsAsWhenStorageIsUnreachable_CompletesWithoutThrowing()
    {
        // The sidecar awaits this stop in an async void callback: an exception there ends the whole process (a test
        // host included), ten minutes after a stack was stopped while its Azurite was down.
        IOrchestrationService backend = FailingStop.Create(new TimeoutException("Timed-out waiting for the partition manager to shut down."));
        var service = new SidecarCompatibleOrchestrationService(backend);
        await service.StartAsync();

        await service.StopAsync(isForced: false);
        await service.StopAsync(isForced: true); // a second stop does nothing
    }

    /// <summary>A backend whose start succeeds and whose stop fails with <see cref="Failure"/>.</summary>
    public class FailingStop : System.Reflection.DispatchProxy
    {
        public Exception Failure { get; private set; } = new InvalidOperationException();

        public static IOrchestrationService Create(Exception failure)
        {
            IOrchestrationService proxy = Create<IOrchestrationService, FailingStop>();
            ((FailingStop)(object)proxy).Failure = failure;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) => targetMethod?.Name switch
        {
            nameof(IOrchestrationService.StartAsync) => Task.CompletedTask,
            nameof(IOrchestrationService.StopAsync) => Task.FromException(Failure),
            _ => throw new NotSupportedException(targetMethod?.Name),
        };
    }
}
