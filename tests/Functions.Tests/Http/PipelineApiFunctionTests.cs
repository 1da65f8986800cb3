using System.Text;
using System.Text.Json;
using GenAiServerless.Api;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Functions.Http;
using GenAiServerless.Pipeline;
using GenAiServerless.Registry;
using GenAiServerless.Tests.Functions.TestDoubles;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Tests.Functions.Http;

/// <summary>The Functions app's HTTP function, called as the worker calls it, with the app's own container: Entra ID
/// tokens checked for issuer, audience, signature and lifetime (only the tenant's keys are served from memory), and
/// the same route table, roles and answers as the local host.</summary>
public sealed class PipelineApiFunctionTests : IDisposable
{
    readonly ServiceProvider services;
    readonly FakeDurableTaskClient client = new();
    readonly PipelineApiFunction function;

    public PipelineApiFunctionTests()
    {
        IConfiguration configuration = TestApp.Configuration();
        var collection = new ServiceCollection();
        collection.AddSingleton(configuration);
        collection.AddLogging();
        collection.AddGenAiFunctionsApp(configuration);
        collection.UseTestTenantKeys();

        // The registry's storage is a closed port here; an empty registry keeps the models routes from waiting on retries.
        collection.AddSingleton<IModelRegistry, EmptyRegistry>();
        services = collection.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        function = new PipelineApiFunction(services.GetRequiredService<PipelineApi>());
    }

    public void Dispose() => services.Dispose();

    public static IEnumerable<object[]> ProtectedRoutes() => PipelineApi.Routes.Where(r => r.Role is not null).Select(r => new object[] { r.OperationId });

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task Route_NoToken_401(string operationId)
    {
        (int status, JsonElement body) = await SendAsync(Route(operationId), token: null);

        Assert.True(401 == status, body.ToString());
        Assert.True(body.GetProperty("errors").TryGetProperty("Authorization", out _));
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task Route_WrongAppRole_403(string operationId)
    {
        ApiRoute route = Route(operationId);
        ApiRole[] roles = route.Role == ApiRole.Reader ? [] : Enum.GetValues<ApiRole>().Where(r => r != route.Role).ToArray();

        (int status, JsonElement body) = await SendAsync(route, EntraTokens.Token(roles: roles));

        Assert.Equal(403, status);
        Assert.Contains($"needs the {route.Role} role", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ProtectedRoutes))]
    public async Task Route_RightAppRole_PassesTheChecks(string operationId)
    {
        ApiRoute route = Route(operationId);

        (int status, JsonElement body) = await SendAsync(route, EntraTokens.Token(roles: [route.Role!.Value]));

        // Nothing exists behind the fakes: a route that reached its work answers 200, 202 or 404.
        Assert.True(status is 200 or 202 or 404, $"{route.Method} {route.Template}: {status} {body}");
    }

    [Theory]
    [InlineData("audience")]
    [InlineData("issuer")]
    [InlineData("expired")]
    [InlineData("signature")]
    public async Task Token_NotForThisApi_401(string fault)
    {
        string token = fault switch
        {
            "audience" => EntraTokens.Token(roles: [ApiRole.Reader], audience: "api://another-app"),
            "issuer" => EntraTokens.Token(roles: [ApiRole.Reader], issuer: "https://login.microsoftonline.com/99999999-0000-0000-0000-000000000000/v2.0"),
            "expired" => EntraTokens.Token(roles: [ApiRole.Reader], expiresIn: TimeSpan.FromMinutes(-10)),
            _ => EntraTokens.Token(roles: [ApiRole.Reader], wrongKey: true),
        };

        (int status, _) = await SendAsync(Route("listRuns"), token);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Token_V1IssuerAndClientIdAudience_Accepted()
    {
        string token = EntraTokens.Token(roles: [ApiRole.Reader], issuer: $"https://sts.windows.net/{EntraTokens.TenantId}/", audience: EntraTokens.ClientId);

        (int status, _) = await SendAsync(Route("listRuns"), token);

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Approve_RecordsTheTokensUserNotTheBody()
    {
        const string Run = "tinylm-drop-waiting";
        client.Instances[Run] = new OrchestrationMetadata(nameof(ModelPipelineOrchestrator), Run)
        {
            RuntimeStatus = OrchestrationRuntimeStatus.Running,
            SerializedCustomStatus = JsonSerializer.Serialize(new PipelineProgress("tinylm",
                [new StageReport(PipelineStage.Evaluation, StageState.Running, null, null, ModelPipelineOrchestrator.AwaitingApproval)], PipelineStage.Evaluation)),
        };

        (int status, _) = await SendAsync(Route("approveRun"), EntraTokens.Token("ana@contoso.com", [ApiRole.Approver]), """{"comment": "fine"}""", path: $"/api/pipelines/{Run}/approve");

        Assert.Equal(202, status);
        Assert.Equal(new ApprovalDecision(true, "ana@contoso.com", "fine"), Assert.Single(client.RaisedEvents).Payload);
    }

    [Fact]
    public async Task PlainTextPost_FromAnotherOrigin_403()
    {
        (int status, _) = await SendAsync(Route("deployVersion"), EntraTokens.Token(roles: [ApiRole.Deployer]), """{"version": 1}""", mediaType: "text/plain", origin: "https://evil.example");

        Assert.Equal(403, status);
        Assert.Empty(client.ScheduledInstances);
    }

    [Theory]
    [InlineData("Api:EntraId:TenantId")]
    [InlineData("Api:EntraId:ClientId")]
    public void Startup_EntraIdSettingMissing_FailsNamingIt(string key)
    {
        IConfiguration configuration = TestApp.Configuration(new Dictionary<string, string?> { [key] = null });
        var collection = new ServiceCollection().AddSingleton(configuration).AddLogging();
        collection.AddGenAiFunctionsApp(configuration);
        using ServiceProvider provider = collection.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<EntraIdApiOptions>>().Value);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    static ApiRoute Route(string operationId) => PipelineApi.Routes.Single(r => r.OperationId == operationId);

    async Task<(int Status, JsonElement Body)> SendAsync(ApiRoute route, string? token, string? body = null, string mediaType = "application/json", string? origin = null, string? path = null)
    {
        // As the worker does: request services come from a scope per request.
        await using AsyncServiceScope scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = route.Method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("func-genai.azurewebsites.net");
        context.Request.Path = path ?? route.Template.Replace("{id}", "tinylm-drop-1", StringComparison.Ordinal).Replace("{model}", TestApp.Model, StringComparison.Ordinal)
            .Replace("{version:int}", "1", StringComparison.Ordinal).Replace("{alias}", "champion", StringComparison.Ordinal);
        if (token is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {token}";
        }

        if (origin is not null)
        {
            context.Request.Headers.Origin = origin;
        }

        body ??= route.Body is null ? null : route.OperationId switch
        {
            "deployVersion" or "setAlias" => """{"version": 1}""",
            "postAlert" => """{"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": {"alertId": "a-1", "monitorCondition": "Resolved"}, "customProperties": {"model": "tinylm"}}}""",
            _ => "{}",
        };
        if (body is not null)
        {
            context.Request.ContentType = mediaType;
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }

        context.Response.Body = new MemoryStream();
        IResult result = await function.RunAsync(context.Request, client);
        await result.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        string text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return (context.Response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    sealed class EmptyRegistry : IModelRegistry
    {
        public Task<ModelVersionInfo> RegisterAsync(ModelRegistration registration, DateTime createdUtc, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SetAliasAsync(AliasAssignment assignment, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RestoreAliasesAsync(AliasRestore restore, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ModelVersionInfo?> GetVersionAsync(string model, int version, CancellationToken cancellationToken) => Task.FromResult<ModelVersionInfo?>(null);

        public Task<ModelVersionInfo?> GetAliasAsync(string model, string aliasName, CancellationToken cancellationToken) => Task.FromResult<ModelVersionInfo?>(null);

        public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string model, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<ModelVersionInfo>>([]);

        public Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

        public Task<ModelAliasState> GetAliasesAsync(string model, CancellationToken cancellationToken) => Task.FromResult(ModelAliasState.Empty);
    }
}
