using Microsoft.Extensions.Hosting;

namespace GenAiServerless.AzureMlEmulator;

/// <summary>The host lifetime of an emulator: none. The default console lifetime would take over the process's SIGINT
/// and SIGTERM, which belong to whoever hosts the emulator (a test run, or <c>Program</c>, which disposes it).</summary>
sealed class EmulatorLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
