using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace GenAiServerless.Local.Stack;

/// <summary>The pinned Azurite from npm: installed with <c>npm ci</c> on first use into the project's home folder,
/// bound to loopback only, data kept under the home folder so that a restarted stack finds its state.</summary>
/// <remarks>A server recorded in <c>azurite.json</c> that still answers is reused: while the process that started it still
/// runs it stays that process's (shared, never stopped here); when that process is gone (killed, crashed) it is
/// adopted — this process owns it from then on, supervises it and stops it when it stops. Otherwise a new one is
/// started on free ports. The owner supervises it: when it exits, it is started again on the same ports with the same
/// data folder, after a back-off that doubles while it keeps failing. Stopped by its PID: SIGINT, then SIGKILL.</remarks>
public sealed partial class AzuriteServer : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account (public, documented, only valid against the emulator).</summary>
    const string AccountName = "devstoreaccount1";
    const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    static readonly TimeSpan DefaultRestartDelay = TimeSpan.FromSeconds(1);
    static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);

    /// <summary>How long a start waits for another process's <c>npm ci</c> of the same folder.</summary>
    static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);

    readonly TimeSpan firstRestartDelay;
    readonly bool owned;
    readonly string stateFile;
    readonly Action<string> progress;
    readonly CancellationTokenSource supervising = new();
    Process? process;
    Task? supervisor;
    volatile int pid;
    int restarts;

    AzuriteServer(int pid, int blobPort, int queuePort, int tablePort, Process? process, bool owned, string stateFile, Action<string> progress, TimeSpan firstRestartDelay)
    {
        this.firstRestartDelay = firstRestartDelay;
        this.pid = pid;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        this.process = process;
        this.owned = owned;
        this.stateFile = stateFile;
        this.progress = progress;
    }

    /// <summary>The PID of the server now (it changes when the supervisor restarts it).</summary>
    public int Pid => pid;

    /// <summary>How many times the supervisor started the server again after it exited.</summary>
    public int Restarts => Volatile.Read(ref restarts);

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    public string ConnectionString => ConnectionStringFor(BlobPort, QueuePort, TablePort);

    public static string ConnectionStringFor(int blobPort, int queuePort, int tablePort) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};"
        + $"BlobEndpoint=http://127.0.0.1:{blobPort}/{AccountName};QueueEndpoint=http://127.0.0.1:{queuePort}/{AccountName};TableEndpoint=http://127.0.0.1:{tablePort}/{AccountName};";

    /// <summary>Installs Azurite if needed and starts it (or reuses the one recorded in <paramref name="home"/>); the
    /// server this process owns is supervised until <see cref="DisposeAsync"/>.</summary>
    /// <param name="restartDelay">The first wait before a dead server is started again (1 s when null).</param>
    public static async Task<AzuriteServer> StartAsync(string home, Action<string> progress, CancellationToken cancellationToken, TimeSpan? restartDelay = null)
    {
        TimeSpan firstRestartDelay = restartDelay ?? DefaultRestartDelay;
        ArgumentNullException.ThrowIfNull(progress);
        // One install serves every home (the dev stack, each test run): npm ci runs once per lock file.
        string install = await EnsureInstalledAsync(StackHome.Default(), progress, cancellationToken);
        Directory.CreateDirectory(home);
        string stateFile = Path.Combine(home, "azurite.json");
        string data = Path.Combine(home, "azurite-data");
        if (File.Exists(stateFile) && JsonSerializer.Deserialize<AzuriteState>(await File.ReadAllTextAsync(stateFile, cancellationToken)) is { } prior
            && IsOurAzurite(prior.Pid, data) && await AnswersAsync(prior.BlobPort) && await AnswersAsync(prior.QueuePort) && await AnswersAsync(prior.TablePort))
        {
            if (prior.OwnerPid != Environment.ProcessId && IsAlive(prior.OwnerPid))
            {
                progress($"reusing Azurite (pid {prior.Pid}) of process {prior.OwnerPid} on 127.0.0.1:{prior.BlobPort}");
                return new AzuriteServer(prior.Pid, prior.BlobPort, prior.QueuePort, prior.TablePort, null, owned: false, stateFile, progress, firstRestartDelay);
            }

            // Its owner is gone: this process takes it over, supervises it and stops it when it stops.
            var adopted = new AzuriteServer(prior.Pid, prior.BlobPort, prior.QueuePort, prior.TablePort, null, owned: true, stateFile, progress, firstRestartDelay);
            await adopted.WriteStateAsync(cancellationToken);
            adopted.supervisor = adopted.SuperviseAsync(install, data);
            progress($"adopting Azurite (pid {prior.Pid}) left by process {prior.OwnerPid} on 127.0.0.1:{prior.BlobPort}; it stops with this one");
            return adopted;
        }

        int[] ports = FreePorts(3);
        Directory.CreateDirectory(data);
        var server = new AzuriteServer(0, ports[0], ports[1], ports[2], null, owned: true, stateFile, progress, firstRestartDelay);
        await server.LaunchAsync(install, data, cancellationToken);
        server.supervisor = server.SuperviseAsync(install, data);
        progress($"Azurite started (pid {server.Pid}) on 127.0.0.1:{server.BlobPort}/{server.QueuePort}/{server.TablePort}, data in {data}");
        return server;
    }

    /// <summary>Starts the node process on this server's ports and data folder and waits until every port answers.</summary>
    async Task LaunchAsync(string install, string data, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = install,
        };
        foreach (string a in new[]
        {
            // Azurite answers a write before its metadata is saved (every 5 s): a kill lost what it had answered. This
            // holds each answer until the metadata is on disk.
            "--require", Path.Combine(AppContext.BaseDirectory, "azurite", "save-often.js"),
            Path.Combine(install, "node_modules", "azurite", "dist", "src", "azurite.js"),
            "--silent", "--skipApiVersionCheck", "--location", data,
            "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(CultureInfo.InvariantCulture),
            "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(CultureInfo.InvariantCulture),
            "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(CultureInfo.InvariantCulture),
        })
        {
            psi.ArgumentList.Add(a);
        }

        Process p = Process.Start(psi) ?? throw new InvalidOperationException("could not start node for Azurite");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Process? old = process;
        process = p;
        pid = p.Id;
        old?.Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(await AnswersAsync(BlobPort) && await AnswersAsync(QueuePort) && await AnswersAsync(TablePort)))
        {
            if (p.HasExited || DateTime.UtcNow > deadline)
            {
                await StopProcessAsync();
                throw new InvalidOperationException($"Azurite did not start (exit code {(p.HasExited ? p.ExitCode : -1)}); is Node.js 20 on PATH, and are ports {BlobPort}/{QueuePort}/{TablePort} free?");
            }

            await Task.Delay(100, cancellationToken);
        }

        await WriteStateAsync(cancellationToken);
    }

    /// <summary>Restarts the server whenever its process is gone, on the same ports and data folder: first after
    /// <see cref="firstRestartDelay"/>, doubling up to <see cref="MaxRestartDelay"/> while restarts keep failing.</summary>
    async Task SuperviseAsync(string install, string data)
    {
        CancellationToken stop = supervising.Token;
        TimeSpan delay = firstRestartDelay;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stop);
                if (process is { HasExited: false } || (process is null && IsAlive(pid)))
                {
                    continue;
                }

                progress($"Azurite (pid {pid}) is gone; starting it again in {delay.TotalSeconds:0.#} s on the same ports and data");
                await Task.Delay(delay, stop);
                try
                {
                    await LaunchAsync(install, data, stop);
                    Interlocked.Increment(ref restarts);
                    delay = firstRestartDelay;
                    progress($"Azurite restarted (pid {pid}) on 127.0.0.1:{BlobPort}/{QueuePort}/{TablePort}");
                }
                catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
                {
                    delay = TimeSpan.FromTicks(Math.Min(MaxRestartDelay.Ticks, delay.Ticks * 2));
                    progress($"Azurite did not restart ({e.Message}); trying again in {delay.TotalSeconds:0.#} s");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // disposed
        }
    }

    Task WriteStateAsync(CancellationToken cancellationToken) =>
        File.WriteAllTextAsync(stateFile, JsonSerializer.Serialize(new AzuriteState(pid, BlobPort, QueuePort, TablePort, Environment.ProcessId)), cancellationToken);

    /// <summary>Runs <c>npm ci</c> for the pinned package.json/package-lock.json unless that exact lock is installed.</summary>
    static async Task<string> EnsureInstalledAsync(string home, Action<string> progress, CancellationToken cancellationToken)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "azurite");
        string install = Path.Combine(home, "azurite");
        Directory.CreateDirectory(install);
        byte[] lockBytes = await File.ReadAllBytesAsync(Path.Combine(source, "package-lock.json"), cancellationToken);
        string stamp = Convert.ToHexStringLower(SHA256.HashData(lockBytes));
        string stampFile = Path.Combine(install, ".installed");
        if (await IsInstalledAsync(install, stampFile, stamp, cancellationToken))
        {
            return install;
        }

        // One install at a time per folder (two fixtures of a test run, two CLI processes): a later caller waits for
        // the first, then finds the install done.
        await using var guard = await InstallLock.AcquireAsync(Path.Combine(install, ".install.lock"), InstallTimeout, cancellationToken);
        if (await IsInstalledAsync(install, stampFile, stamp, cancellationToken))
        {
            return install;
        }

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

    static async Task<bool> IsInstalledAsync(string install, string stampFile, string stamp, CancellationToken cancellationToken) =>
        File.Exists(stampFile) && await File.ReadAllTextAsync(stampFile, cancellationToken) == stamp
        && File.Exists(Path.Combine(install, "node_modules", "azurite", "dist", "src", "azurite.js"));

    /// <summary>Stops restarting the server when it exits (for a caller about to kill it outright).</summary>
    public void StopSupervising() => supervising.Cancel();

    /// <summary>Stops supervising and stops the server, when this process owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!owned)
        {
            return; // another live process's server: it keeps serving that process
        }

        await supervising.CancelAsync();
        if (supervisor is not null)
        {
            await supervisor;
        }

        await StopProcessAsync();
        supervising.Dispose();
        try
        {
            File.Delete(stateFile);
        }
        catch (IOException)
        {
            // the next start checks the recorded PID anyway
        }
    }

    /// <summary>SIGINT, then SIGKILL after 3 s (Azurite may ignore the first), by PID: a child or an adopted server.</summary>
    async Task StopProcessAsync()
    {
        int target = pid;
        if (target <= 0 || !IsAlive(target))
        {
            process?.Dispose();
            process = null;
            return;
        }

        _ = Kill(target, 2);
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (IsAlive(target) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        if (IsAlive(target))
        {
            _ = Kill(target, 9);
            while (IsAlive(target))
            {
                await Task.Delay(50);
            }
        }

        process?.Dispose();
        process = null;
    }

    /// <summary>Whether <paramref name="processId"/> runs (a zombie does not count).</summary>
    static bool IsAlive(int processId)
    {
        if (processId <= 0)
        {
            return false;
        }

        try
        {
            string stat = File.ReadAllText($"/proc/{processId}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not 'Z' and not 'X' and not '\0';
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

    /// <summary>The process is an Azurite serving <paramref name="data"/> (a reused PID is something else).</summary>
    static bool IsOurAzurite(int pid, string data)
    {
        try
        {
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return IsAlive(pid) && cmdline.Contains("azurite", StringComparison.Ordinal) && cmdline.Contains(data, StringComparison.Ordinal);
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

    /// <summary>What <c>azurite.json</c> records: the server, and the process that owns it (0 in files from before owners were kept).</summary>
    sealed record AzuriteState(int Pid, int BlobPort, int QueuePort, int TablePort, int OwnerPid = 0);
}
