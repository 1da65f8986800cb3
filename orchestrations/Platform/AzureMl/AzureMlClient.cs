using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GenAiServerless.Platform.AzureMl;

/// <summary>An ARM answer: status, JSON body, and the long-running-operation headers.</summary>
public sealed record ArmResponse(int Status, JsonElement? Body, Uri? AsyncOperation, Uri? Location, TimeSpan? RetryAfter);

/// <summary>The thin REST client the Azure ML adapters share (<c>Azure.ResourceManager.MachineLearning</c> is not available
/// to us, and <c>GenericResource</c> cannot call POST actions nor omit <c>location</c>): workspace-relative requests on an
/// <see cref="HttpPipeline"/> (bearer token, retries with backoff on 408/429/5xx honouring <c>Retry-After</c>, logging),
/// ARM errors turned into exceptions that name the resource and the service's message, bounded retries of 409 conflicts
/// (an operation in progress), and waits on long-running operations.</summary>
public sealed class AzureMlClient(HttpPipeline pipeline, AzureMlOptions options, TimeProvider clock)
{
    /// <summary>How often a 409 Conflict (another operation on the resource in progress) is retried before it fails.</summary>
    const int ConflictRetries = 6;

    /// <summary>The token scope of Azure Resource Manager.</summary>
    public const string ArmScope = "https://management.azure.com/.default";

    public AzureMlOptions Options { get; } = options;

    /// <summary>A resource id under the workspace, e.g. <c>{W}/models/tinylm/versions/3</c>.</summary>
    public string ResourceId(string relative) => $"{Options.WorkspacePath}/{relative.TrimStart('/')}";

    /// <summary>The URI of a resource under the workspace (or, starting with <c>/subscriptions/</c>, any ARM path), with
    /// the api-version and any extra query.</summary>
    public Uri Uri(string path, string? query = null, string? apiVersion = null)
    {
        string absolute = path.StartsWith("/subscriptions/", StringComparison.Ordinal) ? path : ResourceId(path);
        return new Uri($"{Options.ArmEndpoint.ToString().TrimEnd('/')}{absolute}?api-version={apiVersion ?? Options.ApiVersion}{(query is null ? string.Empty : "&" + query)}");
    }

    /// <summary>GETs a resource; null when it does not exist.</summary>
    public async Task<JsonElement?> GetAsync(string path, CancellationToken cancellationToken)
    {
        ArmResponse response = await SendAsync(RequestMethod.Get, Uri(path), null, [200, 404], path, cancellationToken);
        return response.Status == 404 ? null : response.Body;
    }

    /// <summary>Sends a request to <paramref name="path"/> under the workspace; see <see cref="SendAsync(RequestMethod, System.Uri, JsonNode?, int[], string, CancellationToken)"/>.</summary>
    public Task<ArmResponse> SendAsync(RequestMethod method, string path, JsonNode? body, int[] expected, CancellationToken cancellationToken) =>
        SendAsync(method, Uri(path), body, expected, path, cancellationToken);

    /// <summary>Sends a request; an answer outside <paramref name="expected"/> throws a <see cref="RequestFailedException"/>
    /// naming <paramref name="resource"/> and the ARM error's code and message. A 409 Conflict is retried a few times with
    /// backoff first: ARM answers it while another operation on the resource runs.</summary>
    public async Task<ArmResponse> SendAsync(RequestMethod method, Uri uri, JsonNode? body, int[] expected, string resource, CancellationToken cancellationToken)
    {
        for (int conflict = 0; ; conflict++)
        {
            using HttpMessage message = pipeline.CreateMessage();
            message.Request.Method = method;
            message.Request.Uri.Reset(uri);
            if (body is not null)
            {
                message.Request.Headers.Add("Content-Type", "application/json");
                message.Request.Content = RequestContent.Create(BinaryData.FromString(body.ToJsonString()));
            }

            await pipeline.SendAsync(message, cancellationToken);
            Response response = message.Response;
            if (response.Status == 409 && !expected.Contains(409) && conflict < ConflictRetries)
            {
                await Task.Delay(RetryAfter(response) ?? TimeSpan.FromSeconds(Math.Min(30, 2 << conflict)), clock, cancellationToken);
                continue;
            }

            if (!expected.Contains(response.Status))
            {
                throw Failure(method, resource, response);
            }

            return new ArmResponse(response.Status, AzureRestResponses.JsonOf(response), Header(response, "Azure-AsyncOperation"), Header(response, "Location"), RetryAfter(response));
        }
    }

    /// <summary>Waits for a long-running operation ARM started (its <c>Azure-AsyncOperation</c> or <c>Location</c>), up to
    /// <see cref="AzureMlOptions.OperationTimeout"/>. A failed or cancelled operation throws naming the resource and the
    /// service's error; a timeout throws <see cref="TimeoutException"/>, which the activity's retry policy may retry.</summary>
    public async Task WaitAsync(ArmResponse started, string resource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        if (started.AsyncOperation is null && started.Location is null)
        {
            return;
        }

        DateTimeOffset giveUp = clock.GetUtcNow() + Options.OperationTimeout;
        TimeSpan wait = started.RetryAfter ?? TimeSpan.FromSeconds(1);
        while (true)
        {
            await Task.Delay(Clamp(wait), clock, cancellationToken);
            if (started.AsyncOperation is { } operation)
            {
                ArmResponse status = await SendAsync(RequestMethod.Get, operation, null, [200], resource, cancellationToken);
                string? state = status.Body is { } b && b.TryGetProperty("status", out JsonElement s) ? s.GetString() : null;
                if (state is "Succeeded")
                {
                    return;
                }

                if (state is "Failed" or "Canceled")
                {
                    (string code, string text) = AzureRestResponses.ErrorOf(status.Body);
                    throw new RequestFailedException(200, $"Azure ML operation on {resource} ended {state}: {code}: {text}", code, null);
                }

                wait = status.RetryAfter ?? wait;
            }
            else
            {
                ArmResponse status = await SendAsync(RequestMethod.Get, started.Location!, null, [200, 201, 202, 204], resource, cancellationToken);
                if (status.Status != 202)
                {
                    return;
                }

                wait = status.RetryAfter ?? wait;
            }

            if (clock.GetUtcNow() > giveUp)
            {
                throw new TimeoutException($"Azure ML operation on {resource} did not finish within {Options.OperationTimeout}");
            }
        }
    }

    static RequestFailedException Failure(RequestMethod method, string resource, Response response)
    {
        JsonElement? body = AzureRestResponses.JsonOf(response);
        (string code, string text) = AzureRestResponses.ErrorOf(body);
        if (body is null && response.Content is { } raw)
        {
            text = raw.ToString();
        }

        return new RequestFailedException(response.Status, $"Azure ML {method} {resource} answered {response.Status} {code}: {text}", code, null);
    }

    static Uri? Header(Response response, string name) =>
        response.Headers.TryGetValue(name, out string? value) && System.Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) ? uri : null;

    static TimeSpan? RetryAfter(Response response) =>
        response.Headers.TryGetValue("Retry-After", out string? value) && int.TryParse(value, out int seconds) ? TimeSpan.FromSeconds(seconds) : null;

    static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : wait > TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : wait;
}

/// <summary>Client options (retries, logging) of the Azure ML REST client: five retries with exponential backoff up
/// to a minute, honouring <c>Retry-After</c>.</summary>
public sealed class AzureMlClientOptions : ClientOptions
{
    public AzureMlClientOptions()
    {
        Retry.MaxRetries = 5;
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromSeconds(1);
        Retry.MaxDelay = TimeSpan.FromMinutes(1);
    }
}

/// <summary>A fixed token for an emulator of the ARM API (<see cref="AzureMlOptions.StaticToken"/>).</summary>
public sealed class StaticTokenCredential(string token) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
