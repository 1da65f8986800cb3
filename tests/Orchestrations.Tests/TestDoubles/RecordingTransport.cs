using System.Diagnostics.CodeAnalysis;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GenAiServerless.Tests.Orchestrations.TestDoubles;

/// <summary>Stands in for an Azure REST service that cannot be reached here: answers from a queue of (status, body)
/// and records every request's method, URI and body, so a contract test can assert the exact request shapes.</summary>
internal sealed class RecordingTransport : HttpPipelineTransport
{
    readonly Queue<(int Status, string Body, IReadOnlyDictionary<string, string> Headers)> answers = new();

    public RecordingTransport(params (int Status, string Body)[] answers)
    {
        foreach ((int status, string body) in answers)
        {
            this.answers.Enqueue((status, body, new Dictionary<string, string>()));
        }
    }

    public List<RecordedRequest> Requests { get; } = [];

    /// <summary>The request URIs in order, as strings.</summary>
    public List<string> RequestUris => Requests.Select(r => r.Uri.AbsoluteUri).ToList();

    /// <summary>The request methods in order.</summary>
    public List<string> Methods => Requests.Select(r => r.Method).ToList();

    /// <summary>A service that answers 200 with each body in turn.</summary>
    public static RecordingTransport Ok(params string[] bodies) => new([.. bodies.Select(b => (200, b))]);

    public RecordingTransport Then(int status, string body)
    {
        answers.Enqueue((status, body, new Dictionary<string, string>()));
        return this;
    }

    /// <summary>Queues an answer with response headers (<c>Azure-AsyncOperation</c>, <c>Location</c>, <c>Retry-After</c>, …).</summary>
    public RecordingTransport Then(int status, string body, IReadOnlyDictionary<string, string> headers)
    {
        answers.Enqueue((status, body, headers));
        return this;
    }

    public override Request CreateRequest() => HttpClientTransport.Shared.CreateRequest();

    public override void Process(HttpMessage message) => Answer(message);

    public override ValueTask ProcessAsync(HttpMessage message)
    {
        Answer(message);
        return ValueTask.CompletedTask;
    }

    void Answer(HttpMessage message)
    {
        string? body = null;
        if (message.Request.Content is { } content)
        {
            using var stream = new MemoryStream();
            content.WriteTo(stream, CancellationToken.None);
            body = Encoding.UTF8.GetString(stream.ToArray());
        }

        Requests.Add(new RecordedRequest(message.Request.Method.Method, message.Request.Uri.ToUri(), body,
            message.Request.Headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase)));
        if (answers.Count == 0)
        {
            throw new InvalidOperationException($"Unexpected request {message.Request.Method} {message.Request.Uri}: no answer queued.");
        }

        (int status, string answer, IReadOnlyDictionary<string, string> headers) = answers.Dequeue();
        var all = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        all.TryAdd("Content-Type", "application/json; charset=utf-8");
        message.Response = new RecordedResponse(status, answer, all);
    }

    sealed class RecordedResponse(int status, string body, Dictionary<string, string> headers) : Response
    {
        public override int Status { get; } = status;

        public override string ReasonPhrase => Status < 400 ? "OK" : "Error";

        public override Stream? ContentStream { get; set; } = new MemoryStream(Encoding.UTF8.GetBytes(body));

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) => headers.ContainsKey(name);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() => headers.Select(h => new HttpHeader(h.Key, h.Value));

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value) => headers.TryGetValue(name, out value);

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = headers.TryGetValue(name, out string? value) ? [value] : null;
            return values is not null;
        }
    }
}

/// <summary>One request as the service received it.</summary>
internal sealed record RecordedRequest(string Method, Uri Uri, string? Body, IReadOnlyDictionary<string, string> Headers);
