using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Demo;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>Kills the whole stack (<c>genai up</c>, a separate process) with SIGKILL while training runs, starts it
/// again, and checks the same run completes without a second submission of the attempt that was running.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class CrashResumeTests(StackFixture fixture)
{
    const string Model = "crashlm";

    [Fact]
    public async Task Stack_KilledDuringTraining_RestartCompletesSameRunWithoutResubmitting()
    {
        string home = Path.Combine(fixture.Home, "crash");
        Directory.CreateDirectory(home);
        int port = GenAiServerless.Local.Stack.AzuriteServer.FreePorts(1)[0];
        string[] args =
        [
            "up", "--storage", fixture.ConnectionString, "--home", home, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--task-hub", "CrashTest",
            "--set", $"Pipeline:Models:0={Model}",
            "--set", "Training:Hyperparameters:steps=8",
            "--set", "Training:Hyperparameters:step-delay-ms=1500",
            "--set", "Training:PollInterval=00:00:01",
            "--set", "Training:MaxPollInterval=00:00:01",
            "--set", "Rollout:BakeTime=00:00:00",
        ];

        Process first = StartStack(args, home);
        Process? second = null;
        try
        {
            string blobName = $"{Model}/crash.jsonl";
            BlobClient blob = new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(PipelineStorage.Incoming).GetBlobClient(blobName);
            BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(SampleCorpus.Generate(400, seed: 3)), overwrite: true)).Value;
            string instanceId = InstanceIds.ForDrop(Model, blobName, info.ETag.ToString());
            string attempt1 = $"{instanceId}-train-a1";

            // Wait until the blob trigger has started the run and the trainer has checkpointed at least one step.
            string progress = Path.Combine(home, "jobs", "checkpoints", $"{instanceId}-train", "progress.json");
            await WaitUntilAsync(() => File.Exists(progress), TimeSpan.FromSeconds(90), "training to start in the first stack");
            first.Kill(); // SIGKILL: no shutdown code runs
            await first.WaitForExitAsync();

            second = StartStack(args, home);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", GenAiServerless.Api.LocalApiTokens.OpenOrCreate(home).Issue("tests", [GenAiServerless.Api.ApiRole.Reader], TimeSpan.FromHours(1)));
            PipelineStatusView? view = null;
            await WaitUntilAsync(
                async () =>
                {
                    try
                    {
                        view = await http.GetFromJsonAsync<PipelineStatusView>($"api/pipelines/{instanceId}", JsonSerializerOptions.Web);
                    }
                    catch (HttpRequestException)
                    {
                        return false; // not listening yet
                    }

                    return view?.RuntimeStatus is "Completed" or "Failed";
                },
                TimeSpan.FromMinutes(3),
                "the run to complete after the restart");

            PipelineResult result = StackFixture.ResultOf(view!);
            Assert.True(result.Succeeded, result.Summary);
            Assert.Equal(attempt1, result.Training!.JobId);
            Assert.Equal(1, result.Training.Attempts);

            string[] submissions = await File.ReadAllLinesAsync(Path.Combine(home, "jobs", "submissions.log"));
            Assert.Single(submissions, line => line.Contains($" {attempt1} ", StringComparison.Ordinal));
            Assert.DoesNotContain(submissions, line => line.Contains($"{instanceId}-train-a2", StringComparison.Ordinal));
        }
        finally
        {
            foreach (Process p in new[] { first, second }.OfType<Process>())
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    await p.WaitForExitAsync();
                }

                p.Dispose();
            }
        }
    }

    static Process StartStack(string[] args, string home)
    {
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = home,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "genai.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        string log = Path.Combine(home, $"stack-{process.Id}.log");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { File.AppendAllText(log, e.Data + "\n"); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { File.AppendAllText(log, e.Data + "\n"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what) => WaitUntilAsync(() => Task.FromResult(condition()), timeout, what);

    static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"gave up waiting {timeout} for {what}");
            }

            await Task.Delay(250);
        }
    }
}
