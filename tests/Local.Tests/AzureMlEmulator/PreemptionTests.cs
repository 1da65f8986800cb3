using System.Net;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>Preemption of low-priority jobs: a requeued job runs the same command again on the same ReadWriteMount,
/// so it resumes from its checkpoint; a failed preemption ends the job Failed.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class PreemptionTests(EmulatorFixture fixture) : IAsyncLifetime
{
    const string TrainCommand = "sh checkpointed.sh ${{outputs.checkpoints}} ${{outputs.model}}";
    readonly ArmTestClient arm = fixture.NewWorkspace();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await fixture.Http.DeleteAsync("_emulator/auto-preemption");

    [Fact]
    public async Task AutoPreemption_Requeue_RunsTheCommandAgainAndResumesFromTheCheckpointMount()
    {
        string codeId = await arm.UploadCodeAsync("trainer", "1", ("checkpointed.sh", EmulatorFixture.Fixture("checkpointed.sh")));
        string run = Guid.NewGuid().ToString("N");
        using (HttpResponseMessage armed = await fixture.Http.PutAsync("_emulator/auto-preemption", Json("""{"atProgress":0.3,"mode":"Requeue","oncePer":"Job"}""")))
        {
            Assert.Equal(HttpStatusCode.OK, armed.StatusCode);
        }

        ArmResponse created = await arm.PutAsync("jobs/spot-train-1", $$"""
            {"properties":{"jobType":"Command","command":"{{TrainCommand}}",
             "codeId":"{{codeId}}","environmentId":"{{ArmTestClient.CuratedEnvironment}}",
             "queueSettings":{"jobTier":"Spot"},
             "outputs":{
               "checkpoints":{"jobOutputType":"uri_folder","uri":"azureml://datastores/workspaceblobstore/paths/ckpt/{{run}}/","mode":"ReadWriteMount"},
               "model":{"jobOutputType":"uri_folder","uri":"azureml://datastores/workspaceblobstore/paths/model/{{run}}/","mode":"Upload"} } } }
            """);
        JsonNode job = await arm.WaitForJobAsync("spot-train-1");

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("Completed", job["properties"]!["status"]!.GetValue<string>());
        JsonNode control = JsonNode.Parse(await fixture.Http.GetStringAsync("_emulator/jobs/spot-train-1"))!;
        Assert.Equal(2, control["attempt"]!.GetValue<int>());
        string[] statuses = [.. control["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>())];
        Assert.Equal(["NotStarted", "Queued", "Preparing", "Running", "Queued", "Preparing", "Running", "Finalizing", "Completed"], statuses);
        string result = (await arm.ReadBlobAsync($"model/{run}/result.txt"))!;
        int resumedAt = int.Parse(result.Trim()["started at ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 2, 5);
        Assert.Equal("6", (await arm.ReadBlobAsync($"ckpt/{run}/step"))!.Trim());
    }

    [Fact]
    public async Task Preempt_FailMode_EndsTheJobFailedWithPreemptionError()
    {
        await arm.PutAsync("jobs/spot-fail-1", $$"""
            {"properties":{"jobType":"Command","command":"sleep 30","environmentId":"{{ArmTestClient.CuratedEnvironment}}",
             "computeId":"{{arm.Id("computes/gpu-lowpri")}}"} }
            """);
        await WaitUntilRunningAsync("spot-fail-1");

        using HttpResponseMessage preempted = await fixture.Http.PostAsync("_emulator/jobs/spot-fail-1/preempt?mode=fail", null);
        JsonNode job = await arm.WaitForJobAsync("spot-fail-1");
        using HttpResponseMessage again = await fixture.Http.PostAsync("_emulator/jobs/spot-fail-1/preempt?mode=requeue", null);

        Assert.Equal(HttpStatusCode.Accepted, preempted.StatusCode);
        Assert.Equal("Failed", job["properties"]!["status"]!.GetValue<string>());
        JsonNode control = JsonNode.Parse(await fixture.Http.GetStringAsync("_emulator/jobs/spot-fail-1"))!;
        Assert.True(control["lowPriority"]!.GetValue<bool>());
        Assert.StartsWith("PreemptionError", control["failure"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    async Task WaitUntilRunningAsync(string jobId)
    {
        for (int i = 0; i < 200 && (await arm.GetAsync($"jobs/{jobId}")).Body!["properties"]!["status"]!.GetValue<string>() != "Running"; i++)
        {
            await Task.Delay(25);
        }
    }

    static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
