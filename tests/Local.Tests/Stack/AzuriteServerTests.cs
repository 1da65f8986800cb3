using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using GenAiServerless.Local.Stack;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>The stack's own Azurite: supervised (started again on the same ports and data after it dies) and, when an
/// earlier owner died and left it running, adopted and stopped with its new owner.</summary>
[Trait("Category", "Slow")]
public sealed class AzuriteServerTests : IDisposable
{
    readonly string home = Path.Combine(Path.GetTempPath(), $"genai-azurite-own-{Guid.NewGuid():N}");

    public void Dispose()
    {
        try
        {
            Directory.Delete(home, recursive: true);
        }
        catch (IOException)
        {
            // the OS cleans temp
        }
    }

    [Fact]
    public async Task StartAsync_ServerKilled_SupervisorRestartsItWithSamePortsAndData()
    {
        await using AzuriteServer server = await AzuriteServer.StartAsync(home, _ => { }, CancellationToken.None);
        BlobContainerClient container = new BlobServiceClient(server.ConnectionString).GetBlobContainerClient("kept");
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("before.txt").UploadAsync(BinaryData.FromString("written before the stop"));

        // Azurite saves its metadata every 5 s on its own (as the stack starts it, before it answers a write, and
        // every 200 ms): once the blob is on disk, a SIGKILL must not lose it.
        string metadata = Path.Combine(home, "azurite-data", "__azurite_db_blob__.json");
        var saved = Stopwatch.StartNew();
        await WaitUntilAsync(() => File.Exists(metadata) && File.ReadAllText(metadata).Contains("before.txt", StringComparison.Ordinal), "Azurite to save its metadata");
        Assert.True(saved.Elapsed < TimeSpan.FromSeconds(3), $"Azurite took {saved.Elapsed} to save a change: the save-often preload is not in effect");
        int first = server.Pid;
        _ = Kill(first, 9);
        await WaitUntilAsync(() => server.Restarts == 1, "the supervisor to restart Azurite after SIGKILL");
        Assert.NotEqual(first, server.Pid);
        Assert.Equal("written before the stop", (await container.GetBlobClient("before.txt").DownloadContentAsync()).Value.Content.ToString());

        // Killed again: the back-off starts over after a good restart, and it comes back on the same ports again.
        int second = server.Pid;
        _ = Kill(second, 9);
        await WaitUntilAsync(() => server.Restarts == 2, "the supervisor to restart Azurite a second time");
        await container.GetBlobClient("after.txt").UploadAsync(BinaryData.FromString("written after the restart"), overwrite: true);
    }

    [Fact]
    public async Task StartAsync_ServerKilledRightAfterAcknowledgingWrites_KeepsThem()
    {
        await using AzuriteServer server = await AzuriteServer.StartAsync(home, _ => { }, CancellationToken.None);
        BlobContainerClient container = new BlobServiceClient(server.ConnectionString).GetBlobContainerClient("acked");
        QueueClient queue = new QueueServiceClient(server.ConnectionString).GetQueueClient("acked");
        await container.CreateIfNotExistsAsync();
        await queue.CreateIfNotExistsAsync();
        await container.GetBlobClient("acked.txt").UploadAsync(BinaryData.FromString("acknowledged"));
        await queue.SendMessageAsync("acknowledged");

        // Killed at once: well inside the interval Azurite saves its metadata in on its own, what it answered is kept.
        _ = Kill(server.Pid, 9);
        await WaitUntilAsync(() => server.Restarts == 1, "the supervisor to restart Azurite after SIGKILL");
        Assert.Equal("acknowledged", (await container.GetBlobClient("acked.txt").DownloadContentAsync()).Value.Content.ToString());
        QueueMessage message = Assert.Single((await queue.ReceiveMessagesAsync(maxMessages: 10)).Value);
        Assert.Equal("acknowledged", message.MessageText);
    }

    [Fact]
    public async Task StartAsync_OwnerDiedLeavingServer_AdoptsItAndStopsItOnDispose()
    {
        AzuriteServer first = await AzuriteServer.StartAsync(home, _ => { }, CancellationToken.None);
        first.StopSupervising();
        int pid = first.Pid;

        // As if the process that started it had been killed: the file names an owner that is gone.
        string stateFile = Path.Combine(home, "azurite.json");
        JsonObject state = JsonNode.Parse(await File.ReadAllTextAsync(stateFile))!.AsObject();
        using (Process gone = Process.Start("true")!)
        {
            await gone.WaitForExitAsync();
            state["OwnerPid"] = gone.Id;
        }

        await File.WriteAllTextAsync(stateFile, state.ToJsonString());
        var said = new List<string>();
        AzuriteServer adopted = await AzuriteServer.StartAsync(home, said.Add, CancellationToken.None);
        Assert.Equal(pid, adopted.Pid);
        Assert.Contains(said, s => s.StartsWith("adopting Azurite", StringComparison.Ordinal));

        await adopted.DisposeAsync();
        Assert.False(Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal), $"adopted Azurite {pid} still runs");
        Assert.False(File.Exists(stateFile));
        await first.DisposeAsync(); // nothing left to stop
    }

    static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"gave up waiting for {what}");
            await Task.Delay(100);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);
}
