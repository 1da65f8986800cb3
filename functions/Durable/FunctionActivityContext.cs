using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace GenAiServerless.Functions.Durable;

/// <summary>The <see cref="TaskActivityContext"/> a class-based activity sees when Durable Functions runs it.</summary>
public sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
{
    /// <summary>The binding-data key under which the activity trigger passes the orchestration instance id.</summary>
    public const string InstanceIdKey = "instanceId";

    public override TaskName Name { get; } = name;

    public override string InstanceId { get; } = instanceId;

    /// <summary>The context for the activity <paramref name="name"/> in this invocation; the instance id is empty when
    /// the trigger did not provide one.</summary>
    public static FunctionActivityContext For(string name, FunctionContext functionContext)
    {
        ArgumentNullException.ThrowIfNull(functionContext);
        string instanceId = functionContext.BindingContext.BindingData.TryGetValue(InstanceIdKey, out object? value) && value is not null
            ? value.ToString() ?? string.Empty
            : string.Empty;
        return new FunctionActivityContext(name, instanceId);
    }
}
