using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Processes;

namespace GenAiServerless.AzureMlEmulator.Endpoints;

/// <summary>How a scoring call ended.</summary>
enum ScoringOutcome
{
    Ok,
    ScriptError,
    Timeout,
    Crashed,
}

/// <summary>A scoring call's answer: run()'s result, or why there is none.</summary>
sealed record ScoringReply(ScoringOutcome Outcome, string? Body, string? Error);

/// <summary>One instance of a deployment: the Python scoring harness (<c>scoring_harness.py</c>) running the
/// deployment's scoring script, init() called once, then one request at a time over stdin/stdout. Requests carry ids,
/// so an answer that arrives after its request timed out is dropped instead of answering the next one.</summary>
sealed class ScoringHarness : IAsyncDisposable
{
    readonly ChildProcess process;
    readonly StreamWriter input;
    readonly SemaphoreSlim writeGate = new(1, 1);
    readonly ConcurrentDictionary<long, TaskCompletionSource<ScoringReply>> pending = new();
    readonly TaskCompletionSource<string?> ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly Task reader;
    readonly Task log;
    long nextId;

    ScoringHarness(ChildProcess process, string logPath)
    {
        this.process = process;
        input = process.Process.StandardInput;
        input.AutoFlush = true;
        log = ChildProcesses.PumpAsync(process.Process.StandardError.BaseStream, logPath);
        reader = Task.Run(ReadAsync);
    }

    public int Pending => pending.Count;

    public bool Alive => !process.Exited.IsCompleted;

    /// <summary>Writes the harness to <paramref name="folder"/> once per emulator.</summary>
    public static string WriteScript(string folder)
    {
        string path = Path.Combine(folder, "scoring_harness.py");
        using Stream resource = typeof(ScoringHarness).Assembly.GetManifestResourceStream("scoring_harness.py")
            ?? throw new InvalidOperationException("scoring_harness.py is not embedded in the emulator");
        using FileStream file = File.Create(path);
        resource.CopyTo(file);
        return path;
    }

    /// <summary>Starts an instance and waits for init(): the harness, or the error init() raised (its traceback is in
    /// the log).</summary>
    public static async Task<(ScoringHarness? Harness, string? Error)> StartAsync(ChildProcesses processes, string python, string harness, string scoringScript,
        string workingDirectory, IReadOnlyDictionary<string, string?> environment, string logPath, TimeSpan startTimeout)
    {
        ArgumentNullException.ThrowIfNull(processes);
        ChildProcess child = processes.Start(python, ["-u", harness, scoringScript], workingDirectory, environment, redirectStandardInput: true);
        var instance = new ScoringHarness(child, logPath);
        string? error;
        try
        {
            error = await instance.ready.Task.WaitAsync(startTimeout);
        }
        catch (TimeoutException)
        {
            error = $"init() did not return within {startTimeout.TotalSeconds:0} s";
        }

        if (error is null)
        {
            return (instance, null);
        }

        await instance.DisposeAsync();
        return (null, error);
    }

    public async Task<ScoringReply> ScoreAsync(string body, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long id = Interlocked.Increment(ref nextId);
        var reply = new TaskCompletionSource<ScoringReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[id] = reply;
        try
        {
            if (!Alive)
            {
                return new ScoringReply(ScoringOutcome.Crashed, null, "the scoring container is not running");
            }

            string line = new JsonObject { ["id"] = id, ["body"] = body }.ToJsonString();
            await writeGate.WaitAsync(cancellationToken);
            try
            {
                await input.WriteLineAsync(line.AsMemory(), cancellationToken);
            }
            catch (IOException)
            {
                return new ScoringReply(ScoringOutcome.Crashed, null, "the scoring container is not running");
            }
            finally
            {
                writeGate.Release();
            }

            return await reply.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            return new ScoringReply(ScoringOutcome.Timeout, null, $"run() did not answer within the request timeout ({timeout.TotalMilliseconds:0} ms)");
        }
        finally
        {
            pending.TryRemove(id, out _);
        }
    }

    async Task ReadAsync()
    {
        StreamReader output = process.Process.StandardOutput;
        while (await output.ReadLineAsync() is { } line)
        {
            JsonObject? message;
            try
            {
                message = JsonNode.Parse(line) as JsonObject;
            }
            catch (JsonException)
            {
                continue;
            }

            if (message is null)
            {
                continue;
            }

            if (message.ContainsKey("ready"))
            {
                ready.TrySetResult(message["ready"]!.GetValue<bool>() ? null : message["error"]?.GetValue<string>() ?? "init() failed");
            }
            else if (message["id"]?.GetValue<long>() is { } id && pending.TryGetValue(id, out TaskCompletionSource<ScoringReply>? reply))
            {
                reply.TrySetResult(message["ok"]?.GetValue<bool>() == true
                    ? new ScoringReply(ScoringOutcome.Ok, message["body"]?.GetValue<string>() ?? "", null)
                    : new ScoringReply(ScoringOutcome.ScriptError, null, message["error"]?.GetValue<string>() ?? "run() failed"));
            }
        }

        // EOF: the process died. Whoever still waits learns it crashed.
        ready.TrySetResult("the scoring container exited before init() returned");
        foreach (TaskCompletionSource<ScoringReply> reply in pending.Values)
        {
            reply.TrySetResult(new ScoringReply(ScoringOutcome.Crashed, null, "the scoring container exited while serving the request"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        process.KillGroup();
        await process.Exited.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        await Task.WhenAll(reader, log).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        process.Dispose();
        writeGate.Dispose();
    }
}
