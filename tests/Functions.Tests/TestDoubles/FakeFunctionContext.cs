using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>The invocation context an activity wrapper reads: the container and the trigger's binding data.</summary>
sealed class FakeFunctionContext(IServiceProvider services, IReadOnlyDictionary<string, object?> bindingData) : FunctionContext
{
    public override string InvocationId { get; } = Guid.NewGuid().ToString();

    public override string FunctionId { get; } = "test";

    public override TraceContext TraceContext => throw new NotSupportedException();

    public override BindingContext BindingContext { get; } = new FakeBindingContext(bindingData);

    public override RetryContext RetryContext => throw new NotSupportedException();

    public override IServiceProvider InstanceServices { get; set; } = services;

    public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features => throw new NotSupportedException();

    sealed class FakeBindingContext(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData { get; } = data;
    }
}
