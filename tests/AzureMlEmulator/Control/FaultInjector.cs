using System.Globalization;
using System.Text.RegularExpressions;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Control;

/// <summary>Control API body: answer the next <paramref name="Count"/> calls matching a method and path regex with a
/// status and an ARM error body (429/503 with <c>Retry-After</c> when given).</summary>
public sealed record HttpFaultRequest(string? Method, string PathPattern, int Status, int Count = 1, int? RetryAfterSeconds = null, string? Code = null, string? Message = null);

/// <summary>Control API body: the next <paramref name="Count"/> long-running operations started by matching requests
/// end Failed with this error.</summary>
public sealed record LroFaultRequest(string? Method, string PathPattern, int Count = 1, string? Code = null, string? Message = null);

/// <summary>Control API body: the next provisionings of a deployment fail as if the scoring script's init() raised.</summary>
public sealed record ProvisioningFaultRequest(string? Message = null, int Count = 1);

/// <summary>Control API body: a deployment's scoring fails at a rate (deterministically spread: 0.25 fails exactly every
/// fourth request) with a status, and/or every request takes extra latency.</summary>
public sealed record ScoringFaultRequest(double FailureRate = 0, int Status = StatusCodes.Status500InternalServerError, int LatencyMs = 0);

/// <summary>An HTTP fault rule that fired: what to answer.</summary>
sealed record HttpFault(int Status, ArmError Error, int? RetryAfterSeconds);

/// <summary>The failure and latency a deployment's scoring currently gets, with its own request counter.</summary>
sealed class ScoringFault(ScoringFaultRequest request)
{
    long served;

    public ScoringFaultRequest Request { get; } = request;

    /// <summary>True for the requests that fail: floor(n·rate) steps up exactly rate·N times in N requests.</summary>
    public bool NextFails()
    {
        long n = Interlocked.Increment(ref served) - 1;
        return Math.Floor((n + 1) * Request.FailureRate) > Math.Floor(n * Request.FailureRate);
    }
}

/// <summary>Every fault the control API armed. Emulator-only: nothing here exists on Azure.</summary>
sealed class FaultInjector
{
    readonly Lock gate = new();
    readonly List<Rule> httpRules = [];
    readonly List<Rule> lroRules = [];
    readonly Dictionary<string, (string Message, int Remaining)> provisioning = new(StringComparer.Ordinal);
    readonly Dictionary<string, ScoringFault> scoring = new(StringComparer.Ordinal);

    public string AddHttpFault(HttpFaultRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Status is < 400 or > 599)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User("status must be an HTTP error status (400-599).", "status"));
        }

        var rule = new Rule(NewId(), request.Method, Compile(request.PathPattern), request.Count, request.Status, request.RetryAfterSeconds,
            new ArmError(request.Code ?? DefaultCode(request.Status), request.Message ?? $"Injected fault: {request.Status}."));
        lock (gate)
        {
            httpRules.Add(rule);
        }

        return rule.Id;
    }

    public string AddLroFault(LroFaultRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rule = new Rule(NewId(), request.Method, Compile(request.PathPattern), request.Count, StatusCodes.Status500InternalServerError, null,
            new ArmError(request.Code ?? "InternalServerError", request.Message ?? "Injected fault: the operation failed."));
        lock (gate)
        {
            lroRules.Add(rule);
        }

        return rule.Id;
    }

    public HttpFault? TakeHttpFault(string method, string path)
    {
        lock (gate)
        {
            return Take(httpRules, method, path) is { } rule ? new HttpFault(rule.Status, rule.Error, rule.RetryAfterSeconds) : null;
        }
    }

    public ArmError? TakeLroFault(string method, string path)
    {
        lock (gate)
        {
            return Take(lroRules, method, path)?.Error;
        }
    }

    public void FailProvisioning(string endpoint, string deployment, ProvisioningFaultRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (gate)
        {
            provisioning[Key(endpoint, deployment)] = (request.Message ?? "RuntimeError: injected init() failure", Math.Max(1, request.Count));
        }
    }

    /// <summary>The init() failure message for this provisioning, if one is armed (and counts it down).</summary>
    public string? TakeProvisioningFailure(string endpoint, string deployment)
    {
        lock (gate)
        {
            string key = Key(endpoint, deployment);
            if (!provisioning.TryGetValue(key, out (string Message, int Remaining) armed))
            {
                return null;
            }

            if (armed.Remaining <= 1)
            {
                provisioning.Remove(key);
            }
            else
            {
                provisioning[key] = (armed.Message, armed.Remaining - 1);
            }

            return armed.Message;
        }
    }

    public void SetScoringFault(string endpoint, string deployment, ScoringFaultRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.FailureRate is < 0 or > 1 || request.LatencyMs < 0)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User("failureRate must lie in [0, 1] and latencyMs must not be negative.", "failureRate"));
        }

        lock (gate)
        {
            scoring[Key(endpoint, deployment)] = new ScoringFault(request);
        }
    }

    public void ClearScoringFault(string endpoint, string deployment)
    {
        lock (gate)
        {
            scoring.Remove(Key(endpoint, deployment));
        }
    }

    public ScoringFault? ScoringFaultFor(string endpoint, string deployment)
    {
        lock (gate)
        {
            return scoring.GetValueOrDefault(Key(endpoint, deployment));
        }
    }

    public object Describe()
    {
        lock (gate)
        {
            return new
            {
                http = httpRules.Select(r => new { r.Id, r.Method, pathPattern = r.Path.ToString(), r.Status, r.Remaining }).ToArray(),
                lro = lroRules.Select(r => new { r.Id, r.Method, pathPattern = r.Path.ToString(), r.Remaining }).ToArray(),
                provisioning = provisioning.Select(p => new { deployment = p.Key, p.Value.Message, p.Value.Remaining }).ToArray(),
                scoring = scoring.Select(s => new { deployment = s.Key, s.Value.Request }).ToArray(),
            };
        }
    }

    public void Clear()
    {
        lock (gate)
        {
            httpRules.Clear();
            lroRules.Clear();
            provisioning.Clear();
            scoring.Clear();
        }
    }

    static Rule? Take(List<Rule> rules, string method, string path)
    {
        Rule? rule = rules.FirstOrDefault(r => r.Remaining > 0 && (r.Method is null || string.Equals(r.Method, method, StringComparison.OrdinalIgnoreCase)) && r.Path.IsMatch(path));
        if (rule is null)
        {
            return null;
        }

        rule.Remaining--;
        if (rule.Remaining == 0)
        {
            rules.Remove(rule);
        }

        return rule;
    }

    static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"pathPattern is not a valid regex: {e.Message}", "pathPattern"));
        }
    }

    static string Key(string endpoint, string deployment) => $"{endpoint}/{deployment}";

    static string NewId() => Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture)[..12];

    static string DefaultCode(int status) => status switch
    {
        400 => "BadRequest",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InjectedFault",
    };

    sealed class Rule(string id, string? method, Regex path, int count, int status, int? retryAfterSeconds, ArmError error)
    {
        public string Id { get; } = id;

        public string? Method { get; } = method;

        public Regex Path { get; } = path;

        public int Remaining { get; set; } = Math.Max(1, count);

        public int Status { get; } = status;

        public int? RetryAfterSeconds { get; } = retryAfterSeconds;

        public ArmError Error { get; } = error;
    }
}
