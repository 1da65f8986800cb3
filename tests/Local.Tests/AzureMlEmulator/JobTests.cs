using System.Net;
using System.Text.Json.Nodes;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>Command jobs on the emulator, driven by plain REST calls: a shell-script code asset reading an input and
/// writing an output, the status sequence, idempotent PUT, cancel, and the 400s of bad submissions.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class JobTests(EmulatorFixture fixture)
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    [Fact]
    public async Task PutJob_ShellScriptWithInputAndOutput_CompletesAndUploadsTheOutput()
    {
        string codeId = await arm.UploadCodeAsync("combine", "1", ("combine.sh", EmulatorFixture.Fixture("combine.sh")));
        string data = await arm.UploadDataAsync($"data/{Guid.NewGuid():N}", ("a.txt", "alpha\n"), ("b.txt", "beta\n"));
        string output = $"azureml://datastores/workspaceblobstore/paths/results/{Guid.NewGuid():N}/";

        ArmResponse created = await arm.PutAsync("jobs/combine-1", CommandJob("sh combine.sh ${{inputs.data}} ${{outputs.result}}", codeId,
            inputs: $$"""{"data":{"jobInputType":"uri_folder","uri":"{{data}}","mode":"ReadOnlyMount"} }""",
            outputs: $$"""{"result":{"jobOutputType":"uri_folder","uri":"{{output}}","mode":"Upload"} }"""));
        JsonNode job = await arm.WaitForJobAsync("combine-1");

        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal("NotStarted", created.Body!["properties"]!["status"]!.GetValue<string>());
        Assert.Equal(arm.Id("jobs/combine-1"), created.Body["id"]!.GetValue<string>());
        Assert.Equal("Completed", job["properties"]!["status"]!.GetValue<string>());
        string? combined = await arm.ReadBlobAsync($"{output["azureml://datastores/workspaceblobstore/paths/".Length..]}combined.txt");
        Assert.Equal("alpha\nbeta\nrun combine-1 hello\npython3 shim ok\n", combined);
        JsonNode control = await ControlAsync("combine-1");
        Assert.Equal(["NotStarted", "Queued", "Preparing", "Running", "Finalizing", "Completed"], Statuses(control));
        Assert.Equal(0, control["exitCode"]!.GetValue<int>());
        ArmResponse model = await arm.PutAsync("models/combined/versions/1", """{"properties":{"modelUri":"azureml://jobs/combine-1/outputs/result/paths/combined.txt","jobName":"combine-1"}}""");
        Assert.Equal(HttpStatusCode.Created, model.Status);
    }

    [Fact]
    public async Task PutJob_SameIdTwice_SecondAnswers200WithTheSameJobAndRunsNothing()
    {
        string body = CommandJob("echo once");

        ArmResponse first = await arm.PutAsync("jobs/idempotent-1", body);
        ArmResponse second = await arm.PutAsync("jobs/idempotent-1", CommandJob("echo twice"));
        await arm.WaitForJobAsync("idempotent-1");

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal("echo once", second.Body!["properties"]!["command"]!.GetValue<string>());
        JsonNode control = await ControlAsync("idempotent-1");
        Assert.Equal(1, control["attempt"]!.GetValue<int>());
        Assert.Equal("once\n", await fixture.Http.GetStringAsync("_emulator/jobs/idempotent-1/stdout"));
        JsonArray requests = JsonNode.Parse(await fixture.Http.GetStringAsync("_emulator/requests"))!.AsArray();
        JsonNode logged = requests.Last(r => r!["method"]!.GetValue<string>() == "PUT" && r["path"]!.GetValue<string>() == arm.Id("jobs/idempotent-1"))!;
        Assert.Equal("?api-version=2025-12-01", logged["query"]!.GetValue<string>());
        Assert.Contains("echo twice", logged["body"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(200, logged["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task PutJob_FailingCommand_FailsWithTheExitCodeOnlyInTheControlApi()
    {
        await arm.PutAsync("jobs/failing-1", CommandJob("echo broken >&2; exit 3"));
        JsonNode job = await arm.WaitForJobAsync("failing-1");

        Assert.Equal("Failed", job["properties"]!["status"]!.GetValue<string>());
        Assert.Null(job["properties"]!["error"]);
        JsonNode control = await ControlAsync("failing-1");
        Assert.Equal(3, control["exitCode"]!.GetValue<int>());
        Assert.Equal("broken", control["stderrTail"]!.GetValue<string>());
    }

    [Fact]
    public async Task CancelJob_WhileRunning_EndsCanceledThroughTheLocationOperation()
    {
        await arm.PutAsync("jobs/long-1", CommandJob("sleep 30"));
        await WaitForStatusAsync("long-1", "Running");

        ArmResponse cancel = await arm.PostAsync("jobs/long-1/cancel");
        ArmResponse done = await arm.WaitForLocationAsync(cancel, TimeSpan.FromSeconds(10));
        ArmResponse again = await arm.PostAsync("jobs/long-1/cancel");

        Assert.Equal(HttpStatusCode.Accepted, cancel.Status);
        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Equal("Canceled", (await arm.GetAsync("jobs/long-1")).Body!["properties"]!["status"]!.GetValue<string>());
        Assert.Contains("CancelRequested", Statuses(await ControlAsync("long-1")));
        Assert.Equal(HttpStatusCode.OK, again.Status);
    }

    [Fact]
    public async Task ListJobs_TwoJobs_ListsBoth()
    {
        await arm.PutAsync("jobs/listed-1", CommandJob("true"));
        await arm.PutAsync("jobs/listed-2", CommandJob("true"));

        ArmResponse list = await arm.GetAsync("jobs?jobType=Command");

        Assert.Equal(["listed-1", "listed-2"], list.Body!["value"]!.AsArray().Select(j => j!["name"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("bad id!", """{"properties":{"jobType":"Command","command":"true","environmentId":"ENV"}}""", "job")]
    [InlineData("no-command", """{"properties":{"jobType":"Command","environmentId":"ENV"}}""", "properties.command")]
    [InlineData("no-env", """{"properties":{"jobType":"Command","command":"true"}}""", "properties.environmentId")]
    [InlineData("sweep", """{"properties":{"jobType":"Sweep","command":"true","environmentId":"ENV"}}""", "properties.jobType")]
    [InlineData("unknown-code", """{"properties":{"jobType":"Command","command":"true","environmentId":"ENV","codeId":"WS/codes/nope/versions/1"}}""", "properties.codeId")]
    [InlineData("unknown-env", """{"properties":{"jobType":"Command","command":"true","environmentId":"WS/environments/nope/versions/1"}}""", "properties.environmentId")]
    [InlineData("unknown-compute", """{"properties":{"jobType":"Command","command":"true","environmentId":"ENV","computeId":"WS/computes/nope"}}""", "properties.computeId")]
    [InlineData("unknown-datastore", """{"properties":{"jobType":"Command","command":"cat ${{inputs.d}}","environmentId":"ENV","inputs":{"d":{"jobInputType":"uri_folder","uri":"azureml://datastores/nope/paths/x/"}}}}""", "properties.inputs.d.uri")]
    [InlineData("unknown-binding", """{"properties":{"jobType":"Command","command":"cat ${{inputs.missing}}","environmentId":"ENV"}}""", "properties.command")]
    public async Task PutJob_BadSubmission_Answers400NamingTheField(string id, string body, string target)
    {
        ArmResponse response = await arm.PutAsync($"jobs/{Uri.EscapeDataString(id)}", body.Replace("ENV", ArmTestClient.CuratedEnvironment, StringComparison.Ordinal).Replace("WS", arm.Workspace, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(target, response.Body!["error"]!["target"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await arm.GetAsync($"jobs/{Uri.EscapeDataString(id)}")).Status);
    }

    [Fact]
    public async Task PutJob_RegisteredEnvironmentAndComputeId_IsAccepted()
    {
        ArmResponse environment = await arm.PutAsync("environments/trainer/versions/1", """{"properties":{"image":"mcr.microsoft.com/azureml/curated/acpt-pytorch-2.2-cuda12.1:latest","condaFile":"name: t"}}""");
        ArmResponse compute = await arm.PutAsync("computes/cpu-cluster", """{"location":"eastus","properties":{"computeType":"AmlCompute","properties":{"vmSize":"Standard_DS3_v2","vmPriority":"Dedicated","scaleSettings":{"minNodeCount":0,"maxNodeCount":1}}}}""");
        await arm.WaitForAsyncOperationAsync(compute);

        ArmResponse job = await arm.PutAsync("jobs/registered-1", $$"""
            {"properties":{"jobType":"Command","command":"true","environmentId":"{{arm.Id("environments/trainer/versions/1")}}","computeId":"{{arm.Id("computes/cpu-cluster")}}"} }
            """);

        Assert.Equal(HttpStatusCode.Created, environment.Status);
        Assert.Equal(HttpStatusCode.Created, compute.Status);
        Assert.Equal(HttpStatusCode.Created, job.Status);
        Assert.Equal("Completed", (await arm.WaitForJobAsync("registered-1"))["properties"]!["status"]!.GetValue<string>());
    }

    static string CommandJob(string command, string? codeId = null, string inputs = "{}", string outputs = "{}") => $$"""
        {"properties":{
          "jobType":"Command","displayName":"emulator test","experimentName":"emulator",
          "command":"{{command}}",
          {{(codeId is null ? "" : $"\"codeId\":\"{codeId}\",")}}
          "environmentId":"{{ArmTestClient.CuratedEnvironment}}",
          "inputs":{{inputs}},"outputs":{{outputs}},
          "environmentVariables":{"GREETING":"hello"},
          "resources":{"instanceCount":1},
          "limits":{"jobLimitsType":"Command","timeout":"PT5M"} } }
        """;

    async Task<JsonNode> ControlAsync(string jobId) => JsonNode.Parse(await fixture.Http.GetStringAsync($"_emulator/jobs/{jobId}"))!;

    static string[] Statuses(JsonNode control) => [.. control["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>())];

    async Task WaitForStatusAsync(string jobId, string status)
    {
        for (int i = 0; i < 200; i++)
        {
            if ((await arm.GetAsync($"jobs/{jobId}")).Body!["properties"]!["status"]!.GetValue<string>() == status)
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail($"job {jobId} never reached {status}");
    }
}
