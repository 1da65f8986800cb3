using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Local.Storage;

/// <summary>Whether the stack's storage answers right now: a TCP connect to each of its endpoints (blob, queue, table),
/// kept fresh by <see cref="StorageHealthMonitor"/> and re-checked on demand. Cheap enough to ask on every API call, so
/// that the API answers 503 at once while storage is down instead of waiting out the storage SDK's retries.</summary>
public sealed partial class StorageHealth(IReadOnlyList<Uri> endpoints, ILogger<StorageHealth> logger)
{
    static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);
    static readonly string[] EndpointKeys = ["BlobEndpoint", "QueueEndpoint", "TableEndpoint"];
    static readonly string[] Services = ["blob", "queue", "table"];
    volatile bool reachable = true;
    DateTimeOffset downSince;
    long lastUnreachableTicks;

    /// <summary>How long a client should wait before asking again while storage is down.</summary>
    public static TimeSpan RetryAfter { get; } = TimeSpan.FromSeconds(5);

    /// <summary>The last known state (true until a check says otherwise).</summary>
    public bool IsReachable => reachable;

    /// <summary>When a check last found storage unreachable (<see cref="DateTimeOffset.MinValue"/> when never).</summary>
    public DateTimeOffset LastUnreachable => new(Interlocked.Read(ref lastUnreachableTicks), TimeSpan.Zero);

    /// <summary>The endpoints of a storage connection string (<c>BlobEndpoint</c>, <c>QueueEndpoint</c>,
    /// <c>TableEndpoint</c>); for an account named by suffix, its public endpoints.</summary>
    public static IReadOnlyList<Uri> EndpointsOf(string connectionString)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        Dictionary<string, string> parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        List<Uri> explicitEndpoints = [.. EndpointKeys.Where(parts.ContainsKey).Select(k => new Uri(parts[k]))];
        if (explicitEndpoints.Count > 0)
        {
            return explicitEndpoints;
        }

        string account = parts.GetValueOrDefault("AccountName") ?? throw new ArgumentException("the storage connection string names neither endpoints nor an account", nameof(connectionString));
        string suffix = parts.GetValueOrDefault("EndpointSuffix") ?? "core.windows.net";
        return [.. Services.Select(s => new Uri($"https://{account}.{s}.{suffix}/"))];
    }

    /// <summary>Checks every endpoint now and records the outcome.</summary>
    public async Task<bool> CheckAsync(CancellationToken cancellationToken)
    {
        bool all = true;
        foreach (Uri endpoint in endpoints)
        {
            all &= await ConnectsAsync(endpoint, cancellationToken);
        }

        if (!all)
        {
            Interlocked.Exchange(ref lastUnreachableTicks, DateTimeOffset.UtcNow.UtcTicks);
        }

        if (all != reachable)
        {
            if (all)
            {
                Log.Back(logger, DateTimeOffset.UtcNow - downSince);
            }
            else
            {
                downSince = DateTimeOffset.UtcNow;
                Log.Down(logger, string.Join(", ", endpoints.Select(e => e.Authority)));
            }

            reachable = all;
        }

        return all;
    }

    static async Task<bool> ConnectsAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Storage unreachable ({Endpoints}): triggers back off and the API answers 503 until it is back")]
        public static partial void Down(ILogger logger, string endpoints);

        [LoggerMessage(Level = LogLevel.Information, Message = "Storage reachable again after {Outage}")]
        public static partial void Back(ILogger logger, TimeSpan outage);
    }
}

/// <summary>Keeps <see cref="StorageHealth"/> fresh: one check a second.</summary>
public sealed class StorageHealthMonitor(StorageHealth health) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            do
            {
                await health.CheckAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }
}
