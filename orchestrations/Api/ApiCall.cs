using System.Globalization;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Triggers;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Api;

/// <summary>What a route's work gets once every check has passed: the verified caller, the route values, the body
/// read strictly, and the pipeline's services (the starter bound to the durable client the host supplied).</summary>
public sealed class ApiCall(
    HttpContext http,
    IReadOnlyDictionary<string, string> values,
    ApiCaller caller,
    ApiRequestBody.Read? body,
    PipelineStarter starter,
    DurableTaskClient client,
    IModelRegistry registry,
    PipelineOptions pipeline)
{
    public HttpContext Http => http;

    public ApiCaller Caller => caller;

    public PipelineStarter Starter => starter;

    public DurableTaskClient Client => client;

    public IModelRegistry Registry => registry;

    public PipelineOptions Pipeline => pipeline;

    public CancellationToken Aborted => http.RequestAborted;

    /// <summary>A route value (unescaped).</summary>
    public string Value(string name) => values[name];

    /// <summary>A <c>{name:int}</c> route value; the dispatcher has checked it.</summary>
    public int IntValue(string name) => int.Parse(values[name], NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>The body as the route's type.</summary>
    public T Body<T>()
        where T : class =>
        body?.Value as T ?? throw new InvalidOperationException($"the route declares no {typeof(T).Name} body");

    /// <summary>The body's JSON text, for routes that pass it on as it is (alerts).</summary>
    public string BodyText => body?.Text ?? throw new InvalidOperationException("the route declares no body");
}
