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
}
