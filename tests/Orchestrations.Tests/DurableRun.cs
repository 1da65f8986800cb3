using System.Net;
using System.Net.Sockets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Orchestrations;

/// <summary>Runs one orchestration to its end on the in-memory durable engine: the real scheduler, history, replay
/// and timers, with only the tasks a test registers and the services (fakes of the ports) it adds.</summary>
internal static class DurableRun
{
    /// <summary>Long enough for any scripted scenario here; a hung orchestration fails the test instead of the run.</summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    public static async Task<OrchestrationMetadata> RunAsync(
        Action<DurableTaskRegistry> tasks,
        Action<IServiceCollection> services,
        string orchestrator,
        object input,
        string instanceId)
    {
        await using DurableTaskTestHost host = await DurableTaskTestHost.StartAsync(
            tasks,
            new DurableTaskTestHostOptions { ConfigureServices = services, Port = FreePort() });
        using var timeout = new CancellationTokenSource(Timeout);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions(instanceId), timeout.Token);
        return await host.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
    }

    /// <summary>A port the OS just handed out: test classes run in parallel, each with its own sidecar, and the
    /// host's own choice (random in 30000–40000) can collide.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
