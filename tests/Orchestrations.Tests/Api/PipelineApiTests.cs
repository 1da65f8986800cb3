using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenAiServerless.Api;
using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using GenAiServerless.Rollout;
using GenAiServerless.Training;
using Microsoft.DurableTask.Client;

namespace GenAiServerless.Tests.Orchestrations.Api;

/// <summary>The shared API as a caller on the local host sees it: every route behind a token and a role, bodies
/// JSON-only, bounded and strictly typed, every error a problem document naming its field, and nothing answered 500.</summary>
public sealed class PipelineApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    const string Run = "tinylm-drop-0001";

    [Theory]
    [MemberData(nameof(ApiRequests.ProtectedRoutes), MemberType = typeof(ApiRequests))]
    public async Task Route_NoToken_401ProblemAskingForABearer(string operationId)
    {
        ApiRoute route = ApiRequests.Route(operationId);
        using HttpClient http = host.Anonymous();

        using HttpResponseMessage response = await http.SendAsync(ApiRequests.Request(route));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Authorization");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [MemberData(nameof(ApiRequests.ProtectedRoutes), MemberType = typeof(ApiRequests))]
    public async Task Route_WrongRole_403NamingTheRoleNeeded(string operationId)
    {
        ApiRoute route = ApiRequests.Route(operationId);

        // Reader routes are open to every role, so only a token with no role is refused there.
        using HttpClient http = route.Role == ApiRole.Reader ? host.Http() : host.Http(Enum.GetValues<ApiRole>().Where(r => r != route.Role).ToArray());

        using HttpResponseMessage response = await http.SendAsync(ApiRequests.Request(route));

        JsonElement problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains($"needs the {route.Role} role", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ApiRequests.Routes), MemberType = typeof(ApiRequests))]
    public async Task Route_RightRole_PassesEveryCheckAndAnswersWithoutFault(string operationId)
    {
        ApiRoute route = ApiRequests.Route(operationId);
        host.Registry.Add(ApiHost.Model, 1);
        using HttpClient http = host.Http(route.Role is { } role ? [role] : []);

        using HttpResponseMessage response = await http.SendAsync(ApiRequests.Request(route));

        // The sample run does not exist, so run routes answer 404; everything else does its work.
        int status = (int)response.StatusCode;
        Assert.True(status is 200 or 202 or 404, $"{route.Method} {route.Template} answered {status}: {await response.Content.ReadAsStringAsync()}");
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("other key")]
    [InlineData("not a jwt")]
    public async Task Route_InvalidToken_401InvalidToken(string kind)
    {
        string token = kind switch
        {
            "expired" => host.Tokens.Issue("alice", [ApiRole.Reader], TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddHours(-1)),
            "other key" => LocalApiTokens.OpenOrCreate(Path.Combine(host.Home, "other")).Issue("alice", [ApiRole.Reader], TimeSpan.FromMinutes(5)),
            _ => "abc.def",
        };
        using HttpClient http = host.Anonymous();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);

        using HttpResponseMessage response = await http.GetAsync("api/pipelines");

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "Authorization");
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_NoToken_200()
    {
        using HttpClient http = host.Anonymous();

        Assert.Equal("ok", (await http.GetFromJsonAsync<JsonElement>("api/health")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CrossSitePlainTextPost_Refused403WithoutStartingAnything()
    {
        using HttpClient http = host.Http(ApiRole.Deployer);
        host.Registry.Add(ApiHost.Model, 1);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/models/{ApiHost.Model}/deployments")
        {
            Content = new StringContent("""{"version": 1, "requestId": "cross-site"}""", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("Origin", "http://evil.example");

        using HttpResponseMessage response = await http.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "Origin");
        Assert.DoesNotContain(host.Client.Scheduled, id => id.Contains("deploy", StringComparison.Ordinal) && id.EndsWith(HashOf("cross-site"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task OwnOrigin_Allowed()
    {
        using HttpClient http = host.Http(ApiRole.Reader);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/models");
        request.Headers.Add("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));

        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(ApiRequests.BodyRoutes), MemberType = typeof(ApiRequests))]
    public async Task BodyRoute_NotJson_415(string operationId)
    {
        ApiRoute route = ApiRequests.Route(operationId);
        using HttpClient http = host.Http(route.Role!.Value);

        using HttpResponseMessage response = await http.SendAsync(ApiRequests.Request(route, mediaType: "text/plain"));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type");
    }

    [Theory]
    [MemberData(nameof(ApiRequests.BodyRoutes), MemberType = typeof(ApiRequests))]
    public async Task BodyRoute_OverItsLimit_413(string operationId)
    {
        ApiRoute route = ApiRequests.Route(operationId);
        using HttpClient http = host.Http(route.Role!.Value);
        string padding = new(' ', route.MaxBodyBytes);

        using HttpResponseMessage response = await http.SendAsync(ApiRequests.Request(route, ApiRequests.Body(route) + padding));

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
    }

    [Fact]
    public async Task Alert_UpTo256KB_Accepted_ButACommandOfThatSize_413()
    {
        string alert = ApiRequests.Alert(ApiHost.Model, "big-alert");
        string big = alert[..^1] + $", \"padding\": \"{new string('x', 200 * 1024)}\"}}";
        using HttpClient operators = host.Http(ApiRole.Operator);
        using HttpClient deployers = host.Http(ApiRole.Deployer);

        using HttpResponseMessage accepted = await operators.PostAsync("api/alerts", new StringContent(big, Encoding.UTF8, "application/json"));
        using HttpResponseMessage refused = await deployers.PostAsync($"api/models/{ApiHost.Model}/deployments",
            new StringContent($"{{\"version\": 1, \"requestId\": \"{new string('x', 200 * 1024)}\"}}", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        await AssertProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge, "body");
    }

    [Theory]
    [InlineData("""{"version": "3"}""", "version")]
    [InlineData("""{"version": 1.5}""", "version")]
    [InlineData("""{"version": 1, "by": "mallory"}""", "by")]
    [InlineData("""{"version": 1, "version": 2}""", "version")]
    [InlineData("""{"alias": 7}""", "alias")]
    [InlineData("""{"version": 1""", "body")]
    [InlineData("""[1]""", "body")]
    [InlineData("""null""", "body")]
    [InlineData("", "body")]
    [InlineData("""{}""", "version")]
    [InlineData("""{"version": 1, "alias": "champion"}""", "version")]
    [InlineData("""{"version": -2}""", "version")]
    public async Task Deploy_BadBody_400NamingTheField(string body, string field)
    {
        using HttpClient http = host.Http(ApiRole.Deployer);

        using HttpResponseMessage response = await http.PostAsync($"api/models/{ApiHost.Model}/deployments", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Deploy_ByAlias_StartsTheRunAndRecordsTheCaller()
    {
        host.Registry.Add(ApiHost.Model, 4);
        await host.Registry.SetAliasAsync(new GenAiServerless.Registry.AliasAssignment(ApiHost.Model, "challenger", 4), CancellationToken.None);
        using HttpClient http = host.Http("bob", ApiRole.Deployer);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/models/{ApiHost.Model}/deployments", new { alias = "challenger", requestId = "by-alias" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        string id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instanceId").GetString()!;
        Assert.StartsWith($"{ApiHost.Model}-deploy-v4-", id, StringComparison.Ordinal);
        Assert.Equal($"/api/pipelines/{id}", response.Headers.Location?.OriginalString);
        Assert.Contains(id, host.Client.Scheduled);
    }

    [Fact]
    public async Task Deploy_SameVersionAgainWithoutRequestId_StartsANewRollout()
    {
        host.Registry.Add(ApiHost.Model, 7);
        using HttpClient http = host.Http(ApiRole.Deployer);
        using HttpResponseMessage first = await http.PostAsJsonAsync($"api/models/{ApiHost.Model}/deployments", new { version = 7 });
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        string firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instanceId").GetString()!;
        host.Client.Exists(firstId, nameof(DeploymentOrchestrator), OrchestrationRuntimeStatus.Completed);

        // No idempotency key: a second request is a new request (a redeploy after a rollback, say), never a duplicate.
        using HttpResponseMessage second = await http.PostAsJsonAsync($"api/models/{ApiHost.Model}/deployments", new { version = 7 });

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        string secondId = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instanceId").GetString()!;
        Assert.NotEqual(firstId, secondId);
        Assert.StartsWith($"{ApiHost.Model}-deploy-v7-", secondId, StringComparison.Ordinal);
        Assert.Contains(secondId, host.Client.Scheduled);
    }

    [Fact]
    public async Task Deploy_SameRequestIdAgain_200NamingTheFirstRunAndNothingNew()
    {
        host.Registry.Add(ApiHost.Model, 8);
        using HttpClient http = host.Http(ApiRole.Deployer);
        using HttpResponseMessage first = await http.PostAsJsonAsync($"api/models/{ApiHost.Model}/deployments", new { version = 8, requestId = "retry-8" });
        string firstId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("instanceId").GetString()!;
        host.Client.Exists(firstId, nameof(DeploymentOrchestrator), OrchestrationRuntimeStatus.Running);

        using HttpResponseMessage again = await http.PostAsJsonAsync($"api/models/{ApiHost.Model}/deployments", new { version = 8, requestId = "retry-8" });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        JsonElement body = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(firstId, body.GetProperty("instanceId").GetString());
        Assert.Contains("requestId", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Single(host.Client.Scheduled, id => id == firstId);
    }

    [Fact]
    public async Task Approve_EmptyBody_400AndNothingApproved()
    {
        host.Client.Exists("run-waiting-empty", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running, Waiting());
        using HttpClient http = host.Http(ApiRole.Approver);

        using HttpResponseMessage response = await http.PostAsync("api/pipelines/run-waiting-empty/approve", new StringContent("", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "body");
        Assert.DoesNotContain(host.Client.Raised, e => e.InstanceId == "run-waiting-empty");
    }

    [Fact]
    public async Task Approve_WaitingRun_RaisesTheDecisionInTheCallersName()
    {
        host.Client.Exists("run-waiting", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running, Waiting());
        using HttpClient http = host.Http("carol", ApiRole.Approver);

        using HttpResponseMessage response = await http.PostAsJsonAsync("api/pipelines/run-waiting/approve", new { comment = "ship it" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        ApiDurableClient.RaisedEvent raised = Assert.Single(host.Client.Raised, e => e.InstanceId == "run-waiting");
        Assert.Equal(ModelPipelineOrchestrator.ApprovalEvent, raised.EventName);
        Assert.Equal(new ApprovalDecision(true, "carol", "ship it"), raised.Payload);
    }

    [Fact]
    public async Task Reject_WaitingRun_RaisesARejection()
    {
        host.Client.Exists("run-waiting-reject", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running, Waiting());
        using HttpClient http = host.Http("dave", ApiRole.Approver);

        using HttpResponseMessage response = await http.PostAsJsonAsync("api/pipelines/run-waiting-reject/reject", new { comment = "too slow" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new ApprovalDecision(false, "dave", "too slow"), Assert.Single(host.Client.Raised, e => e.InstanceId == "run-waiting-reject").Payload);
    }

    [Theory]
    [InlineData(OrchestrationRuntimeStatus.Running, false)]
    [InlineData(OrchestrationRuntimeStatus.Completed, true)]
    public async Task Approve_RunNotWaiting_409(OrchestrationRuntimeStatus status, bool waitingStatus)
    {
        string id = $"run-not-waiting-{status}";
        host.Client.Exists(id, nameof(ModelPipelineOrchestrator), status, waitingStatus ? Waiting() : Training());
        using HttpClient http = host.Http(ApiRole.Approver);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{id}/approve", new { });

        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.DoesNotContain(host.Client.Raised, e => e.InstanceId == id);
    }

    [Fact]
    public async Task Cancel_FinishedRun_409()
    {
        host.Client.Exists("run-done", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Completed);
        using HttpClient http = host.Http(ApiRole.Operator);

        using HttpResponseMessage response = await http.PostAsJsonAsync("api/pipelines/run-done/cancel", new { reason = "oops" });

        await AssertProblemAsync(response, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Cancel_DuringRollout_RollsBackRatherThanTerminating()
    {
        const string run = "run-cancel-in-rollout";
        host.Client.Exists(run, nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running);
        host.Client.Exists($"{run}-rollout", nameof(RolloutOrchestrator), OrchestrationRuntimeStatus.Running);
        using HttpClient http = host.Http("erin", ApiRole.Operator);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{run}/cancel", new { });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        ApiDurableClient.RaisedEvent raised = Assert.Single(host.Client.Raised, e => e.InstanceId == $"{run}-rollout");
        Assert.Equal(RolloutCommand.EventName, raised.EventName);
        Assert.Equal(new RolloutCommand(RolloutAction.Rollback, "erin"), raised.Payload);
        Assert.DoesNotContain(host.Client.Terminated, t => t.Id.StartsWith(run, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_DuringDataPreparation_TerminatesItBeforeTheRun()
    {
        const string run = "run-cancel-in-data";
        host.Client.Exists(run, nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running);
        host.Client.Exists($"{run}-data", nameof(DataPrepOrchestrator), OrchestrationRuntimeStatus.Running);
        using HttpClient http = host.Http(ApiRole.Operator);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{run}/cancel", new { });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal([$"{run}-data", run], host.Client.Terminated.Where(t => t.Id.StartsWith(run, StringComparison.Ordinal)).Select(t => t.Id));
    }

    [Fact]
    public async Task Cancel_WhileTheChampionIsScored_CancelsItsJobAndTerminatesTheRun()
    {
        const string run = "run-cancel-in-champion";
        host.Client.Exists(run, nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running);
        host.Client.Exists($"{run}-eval", nameof(JobRunOrchestrator), OrchestrationRuntimeStatus.Completed);
        host.Client.Exists($"{run}-eval-champion", nameof(JobRunOrchestrator), OrchestrationRuntimeStatus.Running);
        using HttpClient http = host.Http(ApiRole.Operator);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{run}/cancel", new { });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        ApiDurableClient.RaisedEvent raised = Assert.Single(host.Client.Raised, e => e.InstanceId.StartsWith(run, StringComparison.Ordinal));
        Assert.Equal(($"{run}-eval-champion", JobRunOrchestrator.CancelEvent), (raised.InstanceId, raised.EventName));
        Assert.Contains(host.Client.Terminated, t => t.Id == run);
    }

    [Theory]
    [InlineData("pause", RolloutAction.Pause)]
    [InlineData("resume", RolloutAction.Resume)]
    [InlineData("rollback", RolloutAction.Rollback)]
    public async Task RolloutCommand_RunningRollout_RaisesTheCommandInTheCallersName(string verb, RolloutAction action)
    {
        string run = $"tinylm-deploy-{verb}";
        host.Client.Exists(run, nameof(DeploymentOrchestrator), OrchestrationRuntimeStatus.Running);
        host.Client.Exists(RolloutCommand.InstanceIdFor(run), nameof(RolloutOrchestrator), OrchestrationRuntimeStatus.Running);
        using HttpClient http = host.Http("erin", ApiRole.Deployer);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{run}/rollout/{verb}", new { });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        ApiDurableClient.RaisedEvent raised = Assert.Single(host.Client.Raised, e => e.InstanceId == RolloutCommand.InstanceIdFor(run));
        Assert.Equal(RolloutCommand.EventName, raised.EventName);
        Assert.Equal(new RolloutCommand(action, "erin"), raised.Payload);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(OrchestrationRuntimeStatus.Completed)]
    public async Task RolloutCommand_NoRolloutRunning_409(OrchestrationRuntimeStatus? rollout)
    {
        string run = $"tinylm-drop-rollout-{rollout}";
        host.Client.Exists(run, nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running, Training());
        if (rollout is { } status)
        {
            host.Client.Exists(RolloutCommand.InstanceIdFor(run), nameof(RolloutOrchestrator), status);
        }

        using HttpClient http = host.Http(ApiRole.Deployer);

        using HttpResponseMessage response = await http.PostAsJsonAsync($"api/pipelines/{run}/rollout/pause", new { });

        await AssertProblemAsync(response, HttpStatusCode.Conflict);
        Assert.DoesNotContain(host.Client.Raised, e => e.InstanceId == RolloutCommand.InstanceIdFor(run));
    }

    [Fact]
    public async Task GetRun_Running_ShowsTheCurrentStage()
    {
        host.Client.Exists("run-training", nameof(ModelPipelineOrchestrator), OrchestrationRuntimeStatus.Running, Training());
        using HttpClient http = host.Http(ApiRole.Reader);

        JsonElement run = await http.GetFromJsonAsync<JsonElement>("api/pipelines/run-training");

        Assert.Equal("training", run.GetProperty("stage").GetString());
        Assert.Equal("Running", run.GetProperty("runtimeStatus").GetString());
    }

    [Fact]
    public async Task Models_ListShowAndMoveAnAlias()
    {
        host.Registry.Add("registered-only", 1);
        host.Registry.Add(ApiHost.Model, 2);
        using HttpClient readers = host.Http(ApiRole.Reader);
        using HttpClient deployers = host.Http(ApiRole.Deployer);

        JsonElement models = await readers.GetFromJsonAsync<JsonElement>("api/models");
        using HttpResponseMessage moved = await deployers.PutAsJsonAsync($"api/models/{ApiHost.Model}/aliases/champion", new { version = 2 });
        JsonElement model = await readers.GetFromJsonAsync<JsonElement>($"api/models/{ApiHost.Model}");
        JsonElement version = await readers.GetFromJsonAsync<JsonElement>($"api/models/{ApiHost.Model}/versions/2");
        using HttpResponseMessage missing = await readers.GetAsync($"api/models/{ApiHost.Model}/versions/999");
        using HttpResponseMessage notANumber = await readers.GetAsync($"api/models/{ApiHost.Model}/versions/abc");
        using HttpResponseMessage unknownModel = await readers.GetAsync("api/models/ghost");
        using HttpResponseMessage toMissing = await deployers.PutAsJsonAsync($"api/models/{ApiHost.Model}/aliases/champion", new { version = 999 });
        using HttpResponseMessage badAlias = await deployers.PutAsJsonAsync($"api/models/{ApiHost.Model}/aliases/Bad%20Alias", new { version = 2 });
        using HttpResponseMessage longAlias = await deployers.PutAsJsonAsync($"api/models/{ApiHost.Model}/aliases/{new string('a', 64)}", new { version = 2 });

        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("name").GetString() == "registered-only" && !m.GetProperty("configured").GetBoolean());
        Assert.Contains(models.EnumerateArray(), m => m.GetProperty("name").GetString() == ApiHost.Model && m.GetProperty("configured").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(2, model.GetProperty("aliases").GetProperty("champion").GetInt32());
        Assert.Equal(2, version.GetProperty("version").GetInt32());
        await AssertProblemAsync(missing, HttpStatusCode.NotFound, "version");
        await AssertProblemAsync(notANumber, HttpStatusCode.BadRequest, "version");
        await AssertProblemAsync(unknownModel, HttpStatusCode.NotFound, "model");
        await AssertProblemAsync(toMissing, HttpStatusCode.NotFound, "version");
        await AssertProblemAsync(badAlias, HttpStatusCode.BadRequest, "alias");
        await AssertProblemAsync(longAlias, HttpStatusCode.BadRequest, "alias"); // the registry's limit is 63 characters
    }

    [Theory]
    [InlineData("""{"schemaId": "other"}""", "schemaId")]
    [InlineData("""{"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": {"alertId": "a-1"}}}""", "data.customProperties.model")]
    public async Task Alert_NotTheCommonSchema_400NamingTheField(string body, string field)
    {
        using HttpClient http = host.Http(ApiRole.Operator);

        using HttpResponseMessage response = await http.PostAsync("api/alerts", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Alert_ResolvedForAModelNotServed_202NothingToDo()
    {
        using HttpClient http = host.Http(ApiRole.Operator);
        const string body = """{"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": {"alertId": "a-resolved", "monitorCondition": "Resolved"}, "customProperties": {"model": "not-served"}}}""";

        using HttpResponseMessage response = await http.PostAsync("api/alerts", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("nothing to do", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Client.Scheduled, id => id.StartsWith("not-served", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Alert_Fired_StartsARetrainingRun()
    {
        using HttpClient http = host.Http(ApiRole.Operator);

        using HttpResponseMessage response = await http.PostAsync("api/alerts", new StringContent(ApiRequests.Alert(ApiHost.Model, "alert-fired"), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains(host.Client.Scheduled, id => id.StartsWith($"{ApiHost.Model}-drift-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownRoute_404_WrongMethod_405WithAllow()
    {
        using HttpClient http = host.Http(ApiRole.Reader);

        using HttpResponseMessage unknown = await http.GetAsync("api/no/such/route");
        using HttpResponseMessage wrongMethod = await http.DeleteAsync($"api/models/{ApiHost.Model}/deployments");

        await AssertProblemAsync(unknown, HttpStatusCode.NotFound);
        await AssertProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
        Assert.Contains("POST", wrongMethod.Content.Headers.Allow);
    }

    [Theory]
    [MemberData(nameof(ApiRequests.Routes), MemberType = typeof(ApiRequests))]
    public async Task Route_HostileInputs_NeverA500(string operationId)
    {
        ApiRoute route = ApiRequests.Route(operationId);
        using HttpClient http = host.Http(Enum.GetValues<ApiRole>());
        string[] bodies =
        [
            "{", "\"x\"", new string('[', 5000), """{"version": 99999999999999999999}""", """{"comment": "\ud800"}""",
            """{"version": null, "alias": null}""", """{"a": {"b": {"c": [1, 2, {"d": true}]}}}""", """{"eventType": "\ud800"}""",
            """{"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": {"alertId": "\udc00"}, "customProperties": {"model": "m"}}}""",
        ];

        foreach (string body in bodies)
        {
            using HttpResponseMessage response = await http.SendAsync(ApiRequests.Request(route, body));
            Assert.True((int)response.StatusCode < 500, $"{route.Method} {route.Template} with {body[..Math.Min(body.Length, 40)]} answered {(int)response.StatusCode}");
        }

        using var invalidUtf8 = new HttpRequestMessage(new HttpMethod(route.Method), ApiRequests.Path(route)) { Content = new ByteArrayContent([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) };
        invalidUtf8.Content.Headers.ContentType = new("application/json");
        using HttpResponseMessage bytes = await http.SendAsync(invalidUtf8);
        Assert.True((int)bytes.StatusCode < 500, $"{route.Method} {route.Template} with invalid UTF-8 answered {(int)bytes.StatusCode}");
    }

    [Fact]
    public async Task OpenApi_DescribesExactlyTheRouteTable()
    {
        using HttpClient http = host.Http(ApiRole.Reader);

        JsonNode doc = JsonNode.Parse(await http.GetStringAsync("api/openapi.json"))!;

        var documented = doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => (Method: m.Key.ToUpperInvariant(), Path: p.Key, Role: (string?)m.Value!["x-required-role"])))
            .ToHashSet();
        var served = PipelineApi.Routes.Select(r => (r.Method, Path: r.Template, Role: r.Role?.ToString())).ToHashSet();
        Assert.Equal(served.Order(), documented.Order());
        foreach (ApiRoute route in PipelineApi.Routes.Where(r => r.Body is not null))
        {
            JsonNode operation = doc["paths"]![route.Template]![route.Method.ToLowerInvariant()]!;
            Assert.NotNull(operation["requestBody"]!["content"]!["application/json"]!["schema"]);
            Assert.NotNull(operation["responses"]!["415"]);
            Assert.NotNull(operation["responses"]!["413"]);
        }

        Assert.All(PipelineApi.Routes.Where(r => r.Role is not null), r => Assert.NotNull(doc["paths"]![r.Template]![r.Method.ToLowerInvariant()]!["responses"]!["401"]));
    }

    static string Waiting() => JsonSerializer.Serialize(new PipelineProgress(ApiHost.Model,
        [new StageReport(PipelineStage.Evaluation, StageState.Running, DateTime.UnixEpoch, null, ModelPipelineOrchestrator.AwaitingApproval + " (POST …)")], PipelineStage.Evaluation));

    static string Training() => JsonSerializer.Serialize(new PipelineProgress(ApiHost.Model,
        [new StageReport(PipelineStage.Training, StageState.Running, DateTime.UnixEpoch, null, "job running")], PipelineStage.Training));

    static string HashOf(string requestId) => GenAiServerless.Triggers.InstanceIds.ForDeployment("x", 1, requestId).Split('-')[^1];

    /// <summary>Asserts an RFC 9457 problem answer with the status, and (when given) <paramref name="field"/> in errors.</summary>
    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        if (field is not null)
        {
            Assert.True(problem.TryGetProperty("errors", out JsonElement errors) && errors.TryGetProperty(field, out _), $"expected errors.{field} in {text}");
        }

        return problem;
    }
}
