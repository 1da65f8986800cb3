using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace GenAiServerless.Local.Endpoints;

/// <summary>A PyTorch trainer's model served by <c>python -m causal_lm serve</c>, a child process that keeps it loaded:
/// one JSON request line in, one answer line out, one request at a time.</summary>
/// <remarks>The process runs in the components folder (where <c>causal_lm/</c> is) under the Python that has torch
/// (<see cref="EndpointHostOptions.Python"/>). It ends when its stdin closes; <see cref="Dispose"/> closes it and kills
/// the process if it has not ended shortly after.</remarks>
public sealed class CausalLmServer : IServedModel
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    readonly Process process;
    readonly SemaphoreSlim turn = new(1, 1);
    readonly Queue<string> stderr = new();
    readonly string folder;

    CausalLmServer(Process process, string folder)
    {
        this.process = process;
        this.folder = folder;
    }

    /// <summary>Starts the server for <paramref name="folder"/> and waits for its ready line.</summary>
    /// <exception cref="InvalidOperationException">The server did not start (no Python, no torch, a bad model folder):
    /// the message holds the end of its stderr.</exception>
    public static async Task<CausalLmServer> StartAsync(string folder, EndpointHostOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        string components = Path.GetFullPath(options.ComponentsFolder);
        if (!Directory.Exists(Path.Combine(components, "causal_lm")))
        {
            throw new InvalidOperationException($"cannot serve {folder}: no causal_lm/ in the components folder {components} (Training:ComponentsFolder)");
        }

        var psi = new ProcessStartInfo(options.Python)
        {
            WorkingDirectory = components,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "-m", "causal_lm", "serve", "--model", Path.GetFullPath(folder),
            "--max-new-tokens", options.MaxTokens.ToString(CultureInfo.InvariantCulture),
            "--temperature", options.Temperature.ToString("R", CultureInfo.InvariantCulture),
        })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["PYTHONUNBUFFERED"] = "1";
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {options.Python}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot serve {folder}: {options.Python} could not be started ({e.Message}); set LocalJobs:Python to a Python with torch", e);
        }

        var server = new CausalLmServer(process, folder);
        process.ErrorDataReceived += (_, line) => server.KeepStderr(line.Data);
        process.BeginErrorReadLine();
        try
        {
            using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            startup.CancelAfter(options.StartTimeout);
            if (!IsReady(await process.StandardOutput.ReadLineAsync(startup.Token)))
            {
                throw server.Stopped("did not start");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            server.Dispose();
            throw new InvalidOperationException($"causal_lm serve for {folder} was not ready within {options.StartTimeout.TotalSeconds:F0} s: {server.StderrTail()}");
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    public async Task<string> CompleteAsync(string prompt, int maxTokens, int seed, double temperature, CancellationToken cancellationToken)
    {
        using JsonDocument answer = await AskAsync(new { prompt, maxTokens, seed, temperature }, cancellationToken);
        return answer.RootElement.TryGetProperty("completion", out JsonElement completion)
            ? completion.GetString() ?? string.Empty
            : throw Refused(answer);
    }

    /// <summary><c>{"text"}</c> → <c>{"bits", "bytes"}</c>: the server scores the text with the evaluation's own code.</summary>
    public async Task<TextLoss> LossAsync(string text, CancellationToken cancellationToken)
    {
        using JsonDocument answer = await AskAsync(new { text }, cancellationToken);
        return answer.RootElement.TryGetProperty("bits", out JsonElement bits) && bits.TryGetDouble(out double b)
            && answer.RootElement.TryGetProperty("bytes", out JsonElement bytes) && bytes.TryGetInt64(out long n)
            ? new TextLoss(b, n)
            : throw Refused(answer);
    }

    /// <summary>One request line out, its answer line in.</summary>
    async Task<JsonDocument> AskAsync(object request, CancellationToken cancellationToken)
    {
        string line = JsonSerializer.Serialize(request, Json);
        string? answer;
        await turn.WaitAsync(cancellationToken);
        try
        {
            // Not cancelled halfway: a request written without its answer read would pair the next request with it.
            await process.StandardInput.WriteLineAsync(line.AsMemory(), CancellationToken.None);
            await process.StandardInput.FlushAsync(CancellationToken.None);
            answer = await process.StandardOutput.ReadLineAsync(CancellationToken.None);
        }
        catch (IOException)
        {
            answer = null;
        }
        finally
        {
            turn.Release();
        }

        return answer is null ? throw Stopped("stopped") : JsonDocument.Parse(answer);
    }

    InvalidOperationException Refused(JsonDocument answer) => new(
        $"causal_lm serve for {folder} refused the request: {(answer.RootElement.TryGetProperty("error", out JsonElement e) ? e.GetString() : answer.RootElement.GetRawText())}");

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close();
                if (!process.WaitForExit(TimeSpan.FromSeconds(3)))
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(TimeSpan.FromSeconds(3));
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // already gone
        }

        process.Dispose();
        turn.Dispose();
    }

    static bool IsReady(string? line)
    {
        try
        {
            return line is not null && JsonDocument.Parse(line).RootElement is { ValueKind: JsonValueKind.Object } ready
                && ready.TryGetProperty("ready", out JsonElement flag) && flag.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    InvalidOperationException Stopped(string what)
    {
        // The exit code and the last stderr lines say why (a missing torch, a bad model folder).
        string exit = "still running";
        if (process.WaitForExit(TimeSpan.FromSeconds(2)))
        {
            process.WaitForExit(); // the last stderr lines are in once the streams are drained
            exit = $"exit {process.ExitCode}";
        }

        return new InvalidOperationException($"causal_lm serve for {folder} {what} ({exit}): {StderrTail()}");
    }

    void KeepStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (stderr)
        {
            stderr.Enqueue(line);
            while (stderr.Count > 20)
            {
                stderr.Dequeue();
            }
        }
    }

    string StderrTail()
    {
        lock (stderr)
        {
            return stderr.Count == 0 ? "(no stderr)" : string.Join(" | ", stderr);
        }
    }
}
