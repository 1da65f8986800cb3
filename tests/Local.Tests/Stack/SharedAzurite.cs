using System.Diagnostics;
using GenAiServerless.Local.Stack;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>The one Azurite of a test run, shared by every fixture that needs storage (the stack, the Azure ML
/// emulator): started by the first fixture that asks and killed (by its own PID) when the test process exits, so
/// fixtures that run one after the other do not start a second one.</summary>
/// <remarks>At exit the test host gives handlers little time, and Azurite's graceful stop on SIGINT takes seconds:
/// its data is a temp folder, so it is killed outright and the folder deleted.</remarks>
static class SharedAzurite
{
    static readonly SemaphoreSlim Gate = new(1, 1);
    static readonly string Home = Path.Combine(Path.GetTempPath(), $"genai-azurite-{Guid.NewGuid():N}");
    static AzuriteServer? server;

    public static async Task<AzuriteServer> GetAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (server is null)
            {
                server = await AzuriteServer.StartAsync(Home, _ => { }, CancellationToken.None);
                AppDomain.CurrentDomain.ProcessExit += (_, _) =>
                {
                    server.StopSupervising();
                    Stop(server.Pid);
                };
            }

            return server;
        }
        finally
        {
            Gate.Release();
        }
    }

    static void Stop(int pid)
    {
        try
        {
            // Ours only: the PID must still be the Azurite serving this run's folder.
            if (File.ReadAllText($"/proc/{pid}/cmdline").Contains(Home, StringComparison.Ordinal))
            {
                using Process azurite = Process.GetProcessById(pid);
                azurite.Kill();
                azurite.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (Exception e) when (e is IOException or ArgumentException or InvalidOperationException or UnauthorizedAccessException)
        {
            // already gone
        }

        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans temp
        }
    }
}
