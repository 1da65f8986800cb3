using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace GenAiServerless.Local.Stack;

/// <summary>The pinned Azurite from npm: installed with <c>npm ci</c> on first use into the project's home folder,
/// bound to loopback only, data kept under the home folder so that a restarted stack finds its state.</summary>
/// <remarks>A server left running by an earlier process of ours (recorded in <c>azurite.json</c>) is reused when it
/// still answers; otherwise a new one is started on free ports. Stopped by its PID: SIGINT, then SIGKILL.</remarks>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented, only valid against the emulator).</summary>
    const string AccountName = "devstoreaccount1";
    const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    readonly Process? process;

    AzuriteServer(int pid, int blobPort, int queuePort, int tablePort, Process? process)
    {
        Pid = pid;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        this.process = process;
    }

    public int Pid { get; }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    /// <summary>Installs Azurite if needed and starts it (or reuses the one recorded in <paramref name="home"/>).</summary>
    public static async Task<AzuriteServer> StartAsync(string home, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        // One install serves every home (the dev stack, each test run): npm ci runs once per lock file.
        string install = await EnsureInstalledAsync(StackHome.Default(), progress, cancellationToken);
        Directory.CreateDirectory(home);
        string stateFile = Path.Combine(home, "azurite.json");
        if (File.Exists(stateFile) && JsonSerializer.Deserialize<AzuriteState>(await File.ReadAllTextAsync(stateFile, cancellationToken)) is { } prior
            && IsOurAzurite(prior.Pid) && await AnswersAsync(prior.BlobPort) && await AnswersAsync(prior.QueuePort) && await AnswersAsync(prior.TablePort))
        {
            progress($"reusing Azurite (pid {prior.Pid}) on 127.0.0.1:{prior.BlobPort}");
            return new AzuriteServer(prior.Pid, prior.BlobPort, prior.QueuePort, prior.TablePort, null);
        }

        int[] ports = FreePorts(3);
        int blob = ports[0], queue = ports[1], table = ports[2];
        string data = Path.Combine(home, "azurite-data");
        Directory.CreateDirectory(data);
        var psi = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = install,
        };
        foreach (string a in new[]
        {
            Path.Combine(install, "node_modules", "azurite", "dist", "src", "azurite.js"),
            "--silent", "--skipApiVersionCheck", "--location", data,
            "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", table.ToString(CultureInfo.InvariantCulture),
        })
        {
            psi.ArgumentList.Add(a);
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException("could not start node for Azurite");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var server = new AzuriteServer(p.Id, blob, queue, table, p);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await AnswersAsync(blob) && await AnswersAsync(queue) && await AnswersAsync(table)))
        {
            if (p.HasExited || DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"Azurite did not start (exit code {(p.HasExited ? p.ExitCode : -1)}); is Node.js 20 on PATH?");
            }

            await Task.Delay(100, cancellationToken);
        }

        await File.WriteAllTextAsync(stateFile, JsonSerializer.Serialize(new AzuriteState(p.Id, blob, queue, table)), cancellationToken);
        progress($"Azurite started (pid {p.Id}) on 127.0.0.1:{blob}/{queue}/{table}, data in {data}");
        return server;
    }

    /// <summary>Runs <c>npm ci</c> for the pinned package.json/package-lock.json unless that exact lock is installed.</summary>
    static async Task<string> EnsureInstalledAsync(string home, Action<string> progress, CancellationToken cancellationToken)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "azurite");
        string install = Path.Combine(home, "azurite");
        Directory.CreateDirectory(install);
        byte[] lockBytes = await File.ReadAllBytesAsync(Path.Combine(source, "package-lock.json"), cancellationToken);
        string stamp = Convert.ToHexStringLower(SHA256.HashData(lockBytes));
        string stampFile = Path.Combine(install, ".installed");
        if (File.Exists(stampFile) && await File.ReadAllTextAsync(stampFile, cancellationToken) == stamp
            && File.Exists(Path.Combine(install, "node_modules", "azurite", "dist", "src", "azurite.js")))
        {
            return install;
        }

        // A lock per home folder: concurrent test processes must not run npm ci into the same folder.
        await using var guard = new FileStream(Path.Combine(install, ".install.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        File.Copy(Path.Combine(source, "package.json"), Path.Combine(install, "package.json"), overwrite: true);
        await File.WriteAllBytesAsync(Path.Combine(install, "package-lock.json"), lockBytes, cancellationToken);
        progress("installing Azurite 3.37.0 (npm ci, first use only)…");
        var psi = new ProcessStartInfo("npm") { WorkingDirectory = install, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
        {
            psi.ArgumentList.Add(a);
        }

        using Process npm = Process.Start(psi) ?? throw new InvalidOperationException("could not start npm; is Node.js 20 + npm on PATH?");
        Task<string> err = npm.StandardError.ReadToEndAsync(cancellationToken);
        _ = await npm.StandardOutput.ReadToEndAsync(cancellationToken);
        await npm.WaitForExitAsync(cancellationToken);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci for Azurite failed (exit {npm.ExitCode}): {(await err).Trim()}");
        }

        await File.WriteAllTextAsync(stampFile, stamp, cancellationToken);
        return install;
    }

    public async ValueTask DisposeAsync()
    {
        if (process is null)
        {
            return; // reused, not ours to stop in this process: it keeps serving the next run
        }

        if (!process.HasExited)
        {
            _ = Kill(process.Id, 2);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        process.Dispose();
    }

    static bool IsOurAzurite(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("azurite", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    static async Task<bool> AnswersAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Distinct free loopback ports (the OS picks them; all listeners are held until every port is chosen,
    /// so the same port is never handed out twice).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return listeners.Select(l => ((System.Net.IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    sealed record AzuriteState(int Pid, int BlobPort, int QueuePort, int TablePort);
}
