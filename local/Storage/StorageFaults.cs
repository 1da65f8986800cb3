using System.Net.Sockets;
using Azure;

namespace GenAiServerless.Local.Storage;

/// <summary>Tells a storage outage (Azurite down, restarting or not answering) from every other failure, as the storage
/// SDK reports it: a transport error (status 0), a server error, or its "retry failed after N tries" aggregate of those.</summary>
public static class StorageFaults
{
    public static bool IsUnreachable(Exception e) => e switch
    {
        null => false,
        AggregateException a => a.InnerExceptions.Count > 0 && a.InnerExceptions.All(IsUnreachable),
        RequestFailedException r => r.Status is 0 or >= 500,
        HttpRequestException or SocketException or TimeoutException => true,

        // The SDK's network timeout is a cancellation nobody asked for.
        TaskCanceledException t => !t.CancellationToken.IsCancellationRequested,
        _ => e.InnerException is { } inner && IsUnreachable(inner),
    };

    /// <summary>What a trigger's polling loop survives and retries: a storage outage, or the engine failing over one
    /// (a gRPC error from the sidecar). A cancellation while the host stops is not survived: it ends the loop.</summary>
    public static bool IsTrigger(Exception e, CancellationToken stoppingToken) =>
        !stoppingToken.IsCancellationRequested && (IsUnreachable(e) || e is Grpc.Core.RpcException or IOException or OperationCanceledException);
}
