using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using GenAiServerless.Local.Demo;
using GenAiServerless.Local.Endpoints;
using GenAiServerless.Local.Training;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>Kills the whole stack (<c>genai up</c>, a separate process) with SIGKILL at a stage of a run, starts it
/// again, and checks the same run completes as an undisturbed one, without a second start of any job attempt.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Faults")]
[Trait("Category", "Slow")]
public sealed class CrashResumeTests(StackFixture fixture)
{
    /// <summary>SIGKILL while the trainer runs: the restarted stack resumes the run; the attempt is not submitted again.</summary>
    [Fact]
    public async Task Stack_KilledDuringTraining_RestartCompletesSameRunWithoutResubmitting()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashlm", (home, id) => File.Exists(Path.Combine(home, "jobs", "checkpoints", $"{id}-train", "progress.json")), "training to start");

        Assert.Equal($"{id}-train-a1", result.Training!.JobId);
        Assert.Equal(1, result.Training.Attempts);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1");
    }

    /// <summary>SIGKILL in the data stage's fan-out, once its first shard work is stored: the restarted stack finishes
    /// the stage and the run; each job started once.</summary>
    [Fact]
    public async Task Stack_KilledDuringDataFanOut_RestartCompletesSameRun()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashfanlm", (_, id) => HasBlob(PipelineStorage.Curated, $"crashfanlm/{id}"), "the data stage to store its first work");

        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1");
    }

    /// <summary>SIGKILL in the data stage's fan-in, once the run's data manifest is written (its data card and the
    /// near-duplicate index's new pointer come after it): the restarted stack completes the fan-in and the run.</summary>
    [Fact]
    public async Task Stack_KilledDuringDataFanIn_RestartCompletesSameRun()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashfaninlm", (_, id) => HasBlob(PipelineStorage.Curated, $"crashfaninlm/{id}/manifest.json"), "the fan-in to write the manifest");

        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1");
    }

    /// <summary>SIGKILL in the registry step, once the run has claimed its version: the restarted stack registers that
    /// same version (one version for the run) and rolls it out.</summary>
    [Fact]
    public async Task Stack_KilledDuringRegistration_RestartRegistersOneVersion()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashreglm", (_, id) => HasBlob(PipelineStorage.Registry, $"crashreglm/runs/{id}/"), "the run to claim its version");

        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1");
        string[] versions = [.. Container(PipelineStorage.Registry).GetBlobs(new GetBlobsOptions { Prefix = "crashreglm/versions/" }).Select(b => b.Name).Where(n => n.EndsWith("/version.json", StringComparison.Ordinal))];
        Assert.Single(versions);
    }

    /// <summary>SIGKILL while the evaluation job runs: the run ends as an undisturbed one, each job started once.</summary>
    [Fact]
    public async Task Stack_KilledDuringEvaluation_RestartCompletesSameRunWithoutResubmitting()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashevallm", (home, id) => File.Exists(Path.Combine(home, "jobs", "jobs", $"{id}-eval-a1", "started")), "the evaluation to start");

        Assert.Equal(1, result.Training!.Attempts);
        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1");
    }

    /// <summary>SIGKILL once the rollout has created its deployment (and is waiting for it to be ready, probing it or
    /// baking): the restarted stack finishes the rollout.</summary>
    [Fact]
    public async Task Stack_KilledDuringRollout_RestartCompletesTheRollout()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashrolllm", (home, _) => Directory.Exists(Path.Combine(home, "endpoints")) && Directory.EnumerateDirectories(Path.Combine(home, "endpoints"), "*", SearchOption.AllDirectories).Any(d => Path.GetDirectoryName(d) != Path.Combine(home, "endpoints")), "the rollout to deploy");

        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1");
    }

    /// <summary>SIGKILL while a rollout that replaces a live deployment holds the new one at a canary traffic step: the
    /// restarted stack finishes the rollout; the new deployment takes all traffic, the old one is retired and the run's
    /// version is the champion.</summary>
    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public async Task Stack_KilledAtATrafficStep_RestartCompletesTheRollout(int percent)
    {
        string model = $"crashstep{percent}lm";
        string? live = null;
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            model,
            (_, _) =>
            {
                LocalEndpointHost.EndpointRecord? endpoint = Endpoint(model);
                live ??= endpoint?.Traffic.SingleOrDefault(t => t.Value == 100).Key;
                return endpoint is not null && endpoint.Traffic.Any(t => t.Key != live && t.Value == percent);
            },
            $"the new deployment to take {percent}% of the traffic",
            replacing: true);

        Assert.True(result.Rollout?.Succeeded, result.Rollout?.Detail);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-eval-a1", $"{id}-eval-champion-a1"); // the gate scores the live version too
        LocalEndpointHost.EndpointRecord endpoint = Endpoint(model)!;
        string serving = Assert.Single(endpoint.Traffic, t => t.Value == 100).Key;
        Assert.NotEqual(live, serving);
        Assert.Equal([serving], endpoint.Deployments.Keys);
        Assert.Equal(result.Version?.Version, endpoint.Deployments[serving].ModelVersion);
    }

    /// <summary>The stack killed during training, then the trainer killed too while no stack runs: the restarted stack
    /// finds the process gone without an exit code, declares the attempt lost and resumes from its checkpoints in a
    /// second attempt; no attempt is started twice.</summary>
    [Fact]
    public async Task Stack_KilledThenJobKilledWhileDown_RestartResumesInASecondAttempt()
    {
        (PipelineResult result, string id, string[] submissions) = await RunKilledAsync(
            "crashjoblm",
            (home, id) => File.Exists(Path.Combine(home, "jobs", "checkpoints", $"{id}-train", "progress.json")),
            "training to start",
            whileDown: (home, id) =>
            {
                JobProcess job = JobProcess.Read(Path.Combine(home, "jobs", "jobs", $"{id}-train-a1", "pid"));
                Assert.True(JobProcesses.KillGroup(job.Pid, TimeSpan.FromSeconds(10)), "the trainer's group outlived SIGKILL");
            });

        Assert.Equal(2, result.Training!.Attempts);
        Assert.Equal($"{id}-train-a2", result.Training.JobId);
        AssertEachStartedOnce(submissions, id, $"{id}-train-a1", $"{id}-train-a2", $"{id}-eval-a1");
    }

    /// <summary>Runs a drop for <paramref name="model"/> on a <c>genai up</c> of its own, SIGKILLs it once
    /// <paramref name="killWhen"/> holds, does <paramref name="whileDown"/>, starts it again and waits for the run to end.</summary>
    /// <param name="replacing">First runs an undisturbed drop to completion on the same stack, so the killed run's
    /// rollout replaces a live deployment (canary steps) instead of creating the first one.</param>
    async Task<(PipelineResult Result, string InstanceId, string[] Submissions)> RunKilledAsync(
        string model, Func<string, string, bool> killWhen, string what, Action<string, string>? whileDown = null, bool replacing = false)
    {
        string home = Path.Combine(fixture.Home, $"crash-{model}");
        Directory.CreateDirectory(home);
        int port = GenAiServerless.Local.Stack.AzuriteServer.FreePorts(1)[0];
        string[] args =
        [
            "up", "--storage", fixture.ConnectionString, "--home", home, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--task-hub", $"Crash{model}",
            "--set", $"Pipeline:Models:0={model}",

            // local/appsettings.json also lists tinygpt (index 1): the stack must not take up the other tests' tinygpt drops
            // in the shared Azurite and train them with PyTorch beside the run under test, in jobs the kill leaves behind.
            "--set", $"Pipeline:Models:1={model}",
            "--set", "Training:Hyperparameters:steps=8",
            "--set", "Training:Hyperparameters:step-delay-ms=1500",
            "--set", "Training:PollInterval=00:00:01",
            "--set", "Training:MaxPollInterval=00:00:01",
            "--set", "Rollout:BakeTime=00:00:02",
            "--set", "Rollout:ReadinessPollInterval=00:00:00.500",

            // A second drop's challenger, trained on other records, must pass the gate and the probe against the first:
            // a few hundred records are too few for the default margins (as in the shared test stack).
            "--set", "Evaluation:Margin=1.0",
            "--set", "Rollout:Analysis:MaxQualityRegression=1.0",
        ];

        Process first = StartStack(args, home);
        Process? second = null;
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            http.DefaultRequestHeaders.Authorization = new("Bearer", GenAiServerless.Api.LocalApiTokens.OpenOrCreate(home).Issue("tests", [GenAiServerless.Api.ApiRole.Reader], TimeSpan.FromHours(1)));
            if (replacing)
            {
                string live = await DropAsync(model, "live.jsonl", seed: 5);
                PipelineResult liveResult = StackFixture.ResultOf(await WaitForEndAsync(http, live, "the live version's run"));
                Assert.True(liveResult.Rollout?.Succeeded, liveResult.Summary);
            }

            string instanceId = await DropAsync(model, "crash.jsonl", seed: 3);
            await WaitUntilAsync(() => killWhen(home, instanceId), TimeSpan.FromSeconds(120), $"{what} in the first stack");
            first.Kill(); // SIGKILL: no shutdown code runs
            await first.WaitForExitAsync();
            whileDown?.Invoke(home, instanceId);

            second = StartStack(args, home);
            PipelineResult result = StackFixture.ResultOf(await WaitForEndAsync(http, instanceId, "the run to complete after the restart"));
            Assert.True(result.Succeeded, result.Summary);
            return (result, instanceId, await File.ReadAllLinesAsync(Path.Combine(home, "jobs", "submissions.log")));
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

    /// <summary>Drops a 400-record corpus for <paramref name="model"/> and returns the run's instance id.</summary>
    async Task<string> DropAsync(string model, string name, int seed)
    {
        string blobName = $"{model}/{name}";
        BlobClient blob = Container(PipelineStorage.Incoming).GetBlobClient(blobName);
        BlobContentInfo info = (await blob.UploadAsync(BinaryData.FromString(SampleCorpus.Generate(400, seed)), overwrite: true)).Value;
        return InstanceIds.ForDrop(model, blobName, info.ETag.ToString());
    }

    /// <summary>Polls the stack's status API until the run ends (a stack being restarted is not listening for a while).</summary>
    static async Task<PipelineStatusView> WaitForEndAsync(HttpClient http, string instanceId, string what)
    {
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
                    return false; // not listening yet, or the run not started yet
                }

                return view?.RuntimeStatus is "Completed" or "Failed";
            },
            TimeSpan.FromMinutes(3),
            what);
        return view!;
    }

    /// <summary>The endpoint's persisted state (deployments, traffic), or null before it has any.</summary>
    LocalEndpointHost.EndpointRecord? Endpoint(string model)
    {
        BlobClient blob = Container(PipelineStorage.Endpoints).GetBlobClient($"{model}.json");
        return blob.Exists().Value ? blob.DownloadContent().Value.Content.ToObjectFromJson<LocalEndpointHost.EndpointRecord>(JsonSerializerOptions.Web) : null;
    }

    BlobContainerClient Container(string name) => new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(name);

    bool HasBlob(string container, string prefix)
    {
        BlobContainerClient client = Container(container);
        return client.Exists().Value && client.GetBlobs(new GetBlobsOptions { Prefix = prefix }).Any();
    }

    /// <summary>Exactly these jobs of the run were started, each once.</summary>
    static void AssertEachStartedOnce(string[] submissions, string instanceId, params string[] jobs)
    {
        string[] started = [.. submissions.Select(line => line.Split(' ')[1]).Where(job => job.StartsWith(instanceId + "-", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Equal(jobs.Order(StringComparer.Ordinal), started);
    }

    static Process StartStack(string[] args, string home)
    {
        // In a session of its own (setsid execs the stack under the same pid): nothing the stack or its children (trainers,
        // model servers) do to their process group can reach the test host, whose group they would otherwise share.
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = home,
        };
        psi.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "genai.dll"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        string log = Path.Combine(home, $"stack-{process.Id}.log");

        // stdout and stderr lines arrive on two threads at once: two concurrent appends to one file made the second throw
        // (the file is locked while written), and an exception in these handlers crashes the whole test host.
        var gate = new Lock();
        void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                try
                {
                    File.AppendAllText(log, line + "\n");
                }
                catch (IOException)
                {
                    // a lost log line must not fail the run
                }
            }
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
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
