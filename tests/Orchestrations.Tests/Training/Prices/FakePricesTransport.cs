using System.Diagnostics.CodeAnalysis;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace GenAiServerless.Tests.Orchestrations.Training.Prices;

/// <summary>Answers Retail Prices requests from a queue of JSON bodies and records every request URI it was sent.</summary>
internal sealed class FakePricesTransport : HttpPipelineTransport
{
    private readonly Queue<string> _bodies;

    public FakePricesTransport(params string[] bodies) => _bodies = new Queue<string>(bodies);

    public List<string> RequestUris { get; } = [];

    public List<string> Methods { get; } = [];

    public override Request CreateRequest() => HttpClientTransport.Shared.CreateRequest();

    public override void Process(HttpMessage message) => Answer(message);

    public override ValueTask ProcessAsync(HttpMessage message)
    {
        Answer(message);
        return ValueTask.CompletedTask;
    }

    private void Answer(HttpMessage message)
    {
        RequestUris.Add(message.Request.Uri.ToString());
        Methods.Add(message.Request.Method.Method);
        if (_bodies.Count == 0)
        {
            throw new InvalidOperationException($"Unexpected request {message.Request.Uri}: no answer queued.");
        }

        message.Response = new FakeResponse(200, _bodies.Dequeue());
    }

    private sealed class FakeResponse(int status, string body) : Response
    {
        public override int Status { get; } = status;

        public override string ReasonPhrase => Status == 200 ? "OK" : "Error";

        public override Stream? ContentStream { get; set; } = new MemoryStream(Encoding.UTF8.GetBytes(body));

        public override string ClientRequestId { get; set; } = string.Empty;

        public override void Dispose() => ContentStream?.Dispose();

        protected override bool ContainsHeader(string name) =>
            string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase);

        protected override IEnumerable<HttpHeader> EnumerateHeaders() =>
            [new HttpHeader("Content-Type", "application/json; charset=utf-8")];

        protected override bool TryGetHeader(string name, [NotNullWhen(true)] out string? value)
        {
            value = ContainsHeader(name) ? "application/json; charset=utf-8" : null;
            return value is not null;
        }

        protected override bool TryGetHeaderValues(string name, [NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = ContainsHeader(name) ? ["application/json; charset=utf-8"] : null;
            return values is not null;
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
