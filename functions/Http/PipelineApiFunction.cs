using GenAiServerless.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Functions.Http;

/// <summary>The pipeline's HTTP API on Azure Functions: one function that hands every <c>/api/…</c> request to the
/// shared <see cref="PipelineApi"/> (routes, roles, bodies and answers are defined there, once for both hosts).</summary>
/// <remarks>Anonymous at the Functions level on purpose: function keys are not how callers are verified. Every route
/// but <c>GET /api/health</c> needs an Entra ID access token with one of the API's app roles, which the shared layer
/// validates (issuer, audience, signature, lifetime) whether or not App Service Authentication sits in front.</remarks>
public sealed class PipelineApiFunction(PipelineApi api)
{
    [Function(nameof(PipelineApi))]
    public Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "{*path}")] HttpRequest request,
        [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        return api.HandleAsync(request.HttpContext, client);
    }
}
