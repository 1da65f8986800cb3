using System.Runtime.InteropServices;
using GenAiServerless.AzureMlEmulator;

// Run by hand: dotnet run --project tests/AzureMlEmulator -- --storage "<azurite connection string>" --port 5099
var options = new AzureMlEmulatorOptions { Port = 5099, MinimumLogLevel = LogLevel.Information };
new ConfigurationBuilder()
    .AddCommandLine(args, new Dictionary<string, string> { ["--storage"] = "StorageConnectionString", ["--port"] = "Port", ["--token"] = "BearerToken" })
    .Build()
    .Bind(options);

await using AzureMlEmulatorServer server = await AzureMlEmulatorServer.StartAsync(options);
Console.WriteLine($"Azure ML emulator on {server.BaseUri} (work folder {server.WorkDirectory})");
Console.WriteLine($"ARM calls need: Authorization: Bearer {server.BearerToken}   (Ctrl+C stops)");
var stop = new TaskCompletionSource();
using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
await stop.Task; // then dispose: every process the emulator started is killed, its work folder deleted

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
