using System.Diagnostics;
using System.Text.Json;

namespace GenAiServerless.Tests.Trainer;

/// <summary>The job contract's promise: a job killed mid-run and resubmitted ends with the same model.</summary>
[Trait("Category", "Slow")]
public sealed class TrainResumeTests : IDisposable
{
    private const string Steps = "6";
    private readonly TempDirectory temp = new();

    public TrainResumeTests()
    {
        TrainingCorpus.WriteShards(Data);
        var uninterrupted = TrainerRun.Train(Data, temp.Sub("uninterrupted"), temp.Sub("ck-uninterrupted"), "--steps", Steps);
        Assert.True(uninterrupted.ExitCode == 0, uninterrupted.Stderr);
    }

    private string Data => temp.Sub("data");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void Train_ResumedFromMidRunCheckpoint_WritesByteIdenticalModel()
    {
        // Snapshot the checkpoints directory the moment step 3 is reported: that is what an eviction right then leaves behind.
        var snapshot = temp.Sub("ck-evicted");
        using var log = new ObservingWriter(line =>
        {
            if (line.StartsWith("step 3/", StringComparison.Ordinal))
            {
                CopyDirectory(temp.Sub("ck-first"), snapshot);
            }
        });
        Assert.Equal(0, TrainerRun.Of(["train", "--data", Data, "--out", temp.Sub("first"), "--checkpoints", temp.Sub("ck-first"), "--steps", Steps], log).ExitCode);

        var resumed = TrainerRun.Train(Data, temp.Sub("resumed"), snapshot, "--steps", Steps);

        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Contains("resuming from step 3", resumed.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("step 3/", resumed.Stdout, StringComparison.Ordinal);
        Assert.Equal(3, ResumedFromStep(temp.Sub("resumed")));
        AssertSameModel(temp.Sub("uninterrupted"), temp.Sub("resumed"));
    }

    [Fact]
    public void Train_CheckpointEveryTwoStepsKilledAfterThree_ResumesFromTwo()
    {
        var snapshot = temp.Sub("ck-evicted");
        using var log = new ObservingWriter(line =>
        {
            if (line.StartsWith("step 3/", StringComparison.Ordinal))
            {
                CopyDirectory(temp.Sub("ck-first"), snapshot);
            }
        });
        TrainerRun.Of(["train", "--data", Data, "--out", temp.Sub("first"), "--checkpoints", temp.Sub("ck-first"), "--steps", Steps, "--checkpoint-every", "2"], log);

        var resumed = TrainerRun.Train(Data, temp.Sub("resumed"), snapshot, "--steps", Steps, "--checkpoint-every", "2");

        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(2, ResumedFromStep(temp.Sub("resumed")));
        AssertSameModel(temp.Sub("uninterrupted"), temp.Sub("resumed"));
    }

    [Fact]
    public void Train_FinishedCheckpoint_SkipsEveryStepAndRewritesTheModel()
    {
        var rerun = TrainerRun.Train(Data, temp.Sub("rerun"), temp.Sub("ck-uninterrupted"), "--steps", Steps);

        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Contains($"resuming from step {Steps}", rerun.Stdout, StringComparison.Ordinal);
        AssertSameModel(temp.Sub("uninterrupted"), temp.Sub("rerun"));
    }

    [Fact]
    public async Task Train_ProcessKilledMidRunThenResubmitted_WritesByteIdenticalModel()
    {
        var checkpoints = temp.Sub("ck-killed");
        using (var job = StartTrainerProcess(["train", "--data", Data, "--out", temp.Sub("killed"), "--checkpoints", checkpoints, "--steps", Steps, "--step-delay-ms", "250"]))
        {
            var progress = Path.Combine(checkpoints, "progress.json");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (ProgressStep(progress) < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the trainer process never reported step 2");
                if (job.HasExited)
                {
                    Assert.Fail($"the trainer process exited early: {await job.StandardError.ReadToEndAsync()}");
                }

                await Task.Delay(20);
            }

            job.Kill(entireProcessTree: true);
            await job.WaitForExitAsync();
        }

        Assert.False(File.Exists(Path.Combine(temp.Sub("killed"), "model.json")));

        var resubmitted = TrainerRun.Train(Data, temp.Sub("killed"), checkpoints, "--steps", Steps, "--step-delay-ms", "250");

        Assert.True(resubmitted.ExitCode == 0, resubmitted.Stderr);
        Assert.Empty(Directory.GetFiles(checkpoints, "*.tmp"));
        Assert.InRange(ResumedFromStep(temp.Sub("killed")), 2, int.Parse(Steps, System.Globalization.CultureInfo.InvariantCulture) - 1);
        AssertSameModel(temp.Sub("uninterrupted"), temp.Sub("killed"));
    }

    [Fact]
    public async Task Train_LaterAttemptClaimsTheCheckpoints_EarlierAttemptStopsWithoutWritingAndTheLaterEndsSame()
    {
        // Attempt 1 is thought lost but still runs: attempt 2 starts on the same checkpoints. The fence makes attempt 1
        // stop at its next write, and attempt 2 ends with the model of an uninterrupted run.
        var checkpoints = temp.Sub("ck-fenced");
        using var first = StartTrainerProcess(["train", "--data", Data, "--out", temp.Sub("attempt1"), "--checkpoints", checkpoints, "--steps", Steps, "--step-delay-ms", "300"], attempt: 1);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (ProgressStep(Path.Combine(checkpoints, "progress.json")) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline && !first.HasExited, "attempt 1 never reported step 2");
            await Task.Delay(20);
        }

        using var second = StartTrainerProcess(["train", "--data", Data, "--out", temp.Sub("attempt2"), "--checkpoints", checkpoints, "--steps", Steps, "--step-delay-ms", "300"], attempt: 2);
        await first.WaitForExitAsync();
        await second.WaitForExitAsync();

        Assert.Equal(GenAiServerless.Trainer.TrainerCommand.Fenced, first.ExitCode);
        Assert.Contains("attempt 2 of this job owns the checkpoints", await first.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp.Sub("attempt1"), "model.json")));
        Assert.True(second.ExitCode == 0, await second.StandardError.ReadToEndAsync());
        Assert.Equal("2", File.ReadAllText(Path.Combine(checkpoints, ".owner")).Trim());
        AssertSameModel(temp.Sub("uninterrupted"), temp.Sub("attempt2"));

        // An attempt older than the owner is refused before it writes anything.
        using var stale = StartTrainerProcess(["train", "--data", Data, "--out", temp.Sub("stale"), "--checkpoints", checkpoints, "--steps", Steps], attempt: 1);
        await stale.WaitForExitAsync();
        Assert.Equal(GenAiServerless.Trainer.TrainerCommand.Fenced, stale.ExitCode);
    }

    private static Process StartTrainerProcess(IEnumerable<string> args, int? attempt = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (attempt is { } n)
        {
            start.Environment[GenAiServerless.Trainer.TrainerCommand.AttemptVariable] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        start.ArgumentList.Add(typeof(GenAiServerless.Trainer.TrainerCommand).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the trainer process");
    }

    private static int ProgressStep(string progressPath)
    {
        if (!File.Exists(progressPath))
        {
            return 0;
        }

        using var progress = JsonDocument.Parse(File.ReadAllText(progressPath));
        return progress.RootElement.GetProperty("step").GetInt32();
    }

    private static int ResumedFromStep(string output)
    {
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        return metrics.RootElement.GetProperty("resumed_from_step").GetInt32();
    }

    private static void AssertSameModel(string expected, string actual)
    {
        Assert.Equal(File.ReadAllBytes(Path.Combine(expected, "model.bin")), File.ReadAllBytes(Path.Combine(actual, "model.bin")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(expected, "model.json")), File.ReadAllBytes(Path.Combine(actual, "model.json")));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>A log that runs an action on each line as the trainer writes it, on the trainer's own thread.</summary>
    private sealed class ObservingWriter(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }
}
