using System.Net.Http.Headers;
using GenAiServerless.AzureMlEmulator;
using GenAiServerless.Local.Stack;
using GenAiServerless.Tests.Local.Stack;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>One Azure ML emulator per test run, on the run's shared Azurite, with short delays so that the whole set
/// stays fast. Each test works in a workspace of its own (<see cref="NewWorkspace"/>).</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public AzureMlEmulatorServer Server { get; private set; } = null!;

    /// <summary>Sends the emulator's bearer token on every request.</summary>
    public HttpClient Http { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "emulator-fixtures", name));

    public async Task InitializeAsync()
    {
        AzuriteServer azurite = await SharedAzurite.GetAsync();
        ConnectionString = azurite.ConnectionString;
        var options = new AzureMlEmulatorOptions
        {
            StorageConnectionString = ConnectionString,
            ProvisioningDelay = TimeSpan.FromMilliseconds(100),
            RetryAfter = TimeSpan.Zero,
            JobQueueTime = TimeSpan.FromMilliseconds(50),
            PreemptedQueueTime = TimeSpan.FromMilliseconds(300),
            ProgressPollInterval = TimeSpan.FromMilliseconds(50),
            MetricsTimeGrain = TimeSpan.FromSeconds(5),
        };
        options.Computes["gpu-lowpri"] = "LowPriority";
        options.Computes["gpu-dedicated"] = "Dedicated";
        Server = await AzureMlEmulatorServer.StartAsync(options);
        Http = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Server.BearerToken);
        Anonymous = new HttpClient { BaseAddress = Server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A fresh workspace: nothing a test creates collides with another test's.</summary>
    public ArmTestClient NewWorkspace() =>
        new(Http, $"/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-emulator-tests/providers/Microsoft.MachineLearningServices/workspaces/ws-{Guid.NewGuid():N}", ConnectionString);

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        Anonymous?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class EmulatorTestGroup : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "azureml-emulator";
}
