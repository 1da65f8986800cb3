using System.Globalization;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Local.Storage;

/// <summary>The HTTP API's answer to a storage outage: 503 with <c>Retry-After</c>, at once while storage is down, and
/// for a call that failed because storage went away under it. Everything else passes through untouched.</summary>
/// <remarks>Separate from the route table on purpose: any API mapped after <see cref="UseStorageOutageResponses"/> gets
/// it. A durable-client call fails as an <see cref="RpcException"/> when the engine cannot reach storage, so such a
/// failure counts as an outage only when a fresh check finds storage unreachable.</remarks>
public static partial class StorageOutageResponses
{
    /// <summary>Registers <see cref="StorageHealth"/> for the connection string's endpoints and its monitor.</summary>
    public static IServiceCollection AddStorageHealth(this IServiceCollection services, string connectionString)
    {
        IReadOnlyList<Uri> endpoints = StorageHealth.EndpointsOf(connectionString);
        services.AddSingleton(sp => new StorageHealth(endpoints, sp.GetRequiredService<ILogger<StorageHealth>>()));
        services.AddHostedService<StorageHealthMonitor>();
        return services;
    }

    /// <summary>Answers requests under <paramref name="pathPrefix"/> with 503 + Retry-After while storage is unreachable.</summary>
    public static IApplicationBuilder UseStorageOutageResponses(this IApplicationBuilder app, string pathPrefix = "/api")
    {
        ArgumentNullException.ThrowIfNull(app);
        StorageHealth health = app.ApplicationServices.GetRequiredService<StorageHealth>();
        ILogger logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StorageOutageResponses).FullName!);
        return app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments(pathPrefix, StringComparison.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }

            // A fresh check per call (a TCP connect on loopback): a call let through to a storage that just died would
            // wait out the storage SDK's retries, and the engine may even answer it as if the run did not exist.
            if (!await health.CheckAsync(context.RequestAborted))
            {
                await WriteUnavailableAsync(context);
                return;
            }

            DateTimeOffset started = DateTimeOffset.UtcNow;
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested && (StorageFaults.IsUnreachable(e) || e is RpcException))
            {
                // A call that outlived an outage (the engine waits out the storage SDK's retries) still failed because of it.
                if (!StorageFaults.IsUnreachable(e) && await health.CheckAsync(CancellationToken.None) && health.LastUnreachable < started)
                {
                    throw; // the engine failed for another reason: not ours to hide
                }

                Log.Unavailable(logger, context.Request.Method, context.Request.Path, e.Message);
                await WriteUnavailableAsync(context);
            }
        });
    }

    static Task WriteUnavailableAsync(HttpContext context)
    {
        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = ((int)StorageHealth.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Results.Problem(
            title: "Storage unavailable",
            detail: $"the stack's storage is unreachable (restarting?); retry after {StorageHealth.RetryAfter.TotalSeconds:0} s",
            statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path}: storage unreachable, answered 503: {Reason}")]
        public static partial void Unavailable(ILogger logger, string method, string path, string reason);
    }
}
