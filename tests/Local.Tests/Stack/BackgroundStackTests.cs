using System.Diagnostics;
using System.Globalization;
using GenAiServerless.Local.Demo;
using GenAiServerless.Local.Stack;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary><c>genai up</c> started in the background by a shell (SIGINT ignored, as shells do for background jobs) and
/// <c>genai drop</c> against it: a drop reports only a run that was scheduled, and SIGINT stops the stack.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class BackgroundStackTests(StackFixture fixture)
{
    const string Model = "bglm";

    [Fact]
    public async Task Up_InBackground_DropReportsScheduledRunsOnlyAndSigintStopsIt()
    {
        string home = Path.Combine(fixture.Home, "background");
        Directory.CreateDirectory(home);
        string port = AzuriteServer.FreePorts(1)[0].ToString(CultureInfo.InvariantCulture);
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        string genai = Path.Combine(AppContext.BaseDirectory, "genai.dll");
        string log = Path.Combine(home, "up.log");

        // `cmd &` in a non-interactive shell: the job starts with SIGINT ignored.
        string script = $"'{dotnet}' '{genai}' up --storage \"$STORAGE\" --home '{home}' --port {port} --task-hub BackgroundTest "
            + $"--set Pipeline:Models:0={Model} --set Training:Hyperparameters:steps=2 --set Rollout:BakeTime=00:00:00 > '{log}' 2>&1 & echo $!";
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.Environment["STORAGE"] = fixture.ConnectionString;
        int pid;
        using (Process shell = Process.Start(psi)!)
        {
            pid = int.Parse((await shell.StandardOutput.ReadToEndAsync()).Trim(), CultureInfo.InvariantCulture);
            await shell.WaitForExitAsync();
        }

        using Process up = Process.GetProcessById(pid);
        try
        {
            await WaitUntilAsync(() => File.Exists(Path.Combine(home, "stack.json")), "the stack to start");

            string data = Path.Combine(home, "drop.jsonl");
            await File.WriteAllTextAsync(data, SampleCorpus.Generate(60, seed: 5));
            (int code, string output) = await GenaiAsync(home, "drop", data, "--model", Model);
            Assert.True(code == 0, output);
            Assert.Contains($"pipeline run scheduled: {Model}-", output, StringComparison.Ordinal);

            // The run is still preparing data or training: a rollout command reaches the API, with this user's token,
            // and is refused as having no rollout to command.
            string run = output.Split($"pipeline run scheduled: ")[1].Split('\n')[0].Trim();
            (code, output) = await GenaiAsync(home, "rollout", "pause", run);
            Assert.Equal(1, code);
            Assert.Contains("409", output, StringComparison.Ordinal);

            // A model the stack does not know: the file is quarantined and no run is scheduled — and drop says so.
            (code, output) = await GenaiAsync(home, "drop", data, "--model", "nosuchmodel", "--wait", "3");
            Assert.Equal(1, code);
            Assert.Contains("no run scheduled", output, StringComparison.Ordinal);
            Assert.DoesNotContain("pipeline run scheduled", output, StringComparison.Ordinal);

            _ = Kill(pid, 2);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await up.WaitForExitAsync(timeout.Token);
            Assert.False(File.Exists(Path.Combine(home, "stack.json")), "a stopped stack removes its stack.json");
        }
        finally
        {
            if (!up.HasExited)
            {
                up.Kill(entireProcessTree: true);
            }
        }
    }

    static async Task<(int Code, string Output)> GenaiAsync(string home, params string[] args)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "genai.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["GENAI_HOME"] = home;
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output + await err);
    }

    static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"gave up waiting for {what}");
            await Task.Delay(200);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);
}
