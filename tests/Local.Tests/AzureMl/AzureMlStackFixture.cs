using System.Net.Http.Headers;
using System.Net.Http.Json;
using GenAiServerless.AzureMlEmulator;
using GenAiServerless.AzureMlEmulator.Jobs;
using GenAiServerless.Local.Stack;
using GenAiServerless.Platform;
using GenAiServerless.Tests.Local.Stack;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Tests.Local.AzureMl;

/// <summary>The local stack with its jobs, registry mirror and endpoints on "Azure ML": the real Azure ML clients
/// (<c>Training:Backend=AzureMl</c>, <c>Rollout:Backend=AzureMl</c>) pointed at the Azure ML emulator, which runs the
/// jobs and deployments on this machine. The workspace is set up as the Bicep sets one up: datastores over the data
/// account's containers. The emulator preempts every spot training job once, at 30 % progress, and requeues it, as
/// Azure ML does with serverless spot jobs.</summary>
public sealed class AzureMlStackFixture : IAsyncLifetime
{
    public const string Model = "azlm";
    public const string Workspace = "mlw-genai";
    public const string WorkspacePath = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-genai/providers/Microsoft.MachineLearningServices/workspaces/" + Workspace;

    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"genai-azureml-tests-{Guid.NewGuid():N}");

    public string ConnectionString { get; private set; } = "";

    public AzureMlEmulatorServer Emulator { get; private set; } = null!;

    /// <summary>ARM calls to the emulator, with its token.</summary>
    public HttpClient Arm { get; private set; } = null!;

    public LocalPipelineHost Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        AzuriteServer azurite = await SharedAzurite.GetAsync();
        ConnectionString = azurite.ConnectionString;
        Emulator = await AzureMlEmulatorServer.StartAsync(new AzureMlEmulatorOptions
        {
            StorageConnectionString = ConnectionString,
            ProvisioningDelay = TimeSpan.FromMilliseconds(200),
            RetryAfter = TimeSpan.Zero,
            JobQueueTime = TimeSpan.FromMilliseconds(100),

            // Long enough that the pipeline's polls see the requeued job queued again.
            PreemptedQueueTime = TimeSpan.FromSeconds(2),
            ProgressPollInterval = TimeSpan.FromMilliseconds(50),
            AutoPreemption = new AutoPreemptionOptions { AtProgress = 0.3, Mode = PreemptionMode.Requeue, OncePer = AutoPreemptionScope.Job },
        });
        Arm = new HttpClient { BaseAddress = Emulator.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        Arm.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Emulator.BearerToken);
        foreach (string container in new[] { PipelineStorage.Curated, PipelineStorage.Models, "checkpoints", PipelineStorage.Registry })
        {
            using HttpResponseMessage created = await Arm.PutAsJsonAsync($"{WorkspacePath}/datastores/{container}?api-version=2025-12-01", new
            {
                properties = new { datastoreType = "AzureBlob", accountName = "devstoreaccount1", containerName = container, credentials = new { credentialsType = "None" } },
            });
            created.EnsureSuccessStatusCode();
        }

        Stack = await LocalPipelineHost.StartAsync(new LocalPipelineHostSettings
        {
            Home = Home,
            StorageConnectionString = ConnectionString,
            TaskHub = "AzureMlTests",
            EnableTriggers = false,
            ConsoleLogLevel = LogLevel.Warning,
            Overrides = new Dictionary<string, string?>
            {
                ["Pipeline:Models:0"] = Model,
                ["Training:Backend"] = "AzureMl",
                ["Rollout:Backend"] = "AzureMl",
                ["AzureMl:ArmEndpoint"] = Emulator.BaseUri.ToString(),
                ["AzureMl:StaticToken"] = Emulator.BearerToken,
                ["AzureMl:SubscriptionId"] = "00000000-0000-0000-0000-000000000001",
                ["AzureMl:ResourceGroup"] = "rg-genai",
                ["AzureMl:WorkspaceName"] = Workspace,
                ["AzureMl:Region"] = "eastus",
                ["AzureMl:OperationTimeout"] = "00:00:30",
                ["Training:Hyperparameters:steps"] = "10",
                ["Training:Hyperparameters:step-delay-ms"] = "300",
                ["Training:PollInterval"] = "00:00:00.300",
                ["Training:MaxPollInterval"] = "00:00:00.300",
                ["Rollout:TrafficSteps:0"] = "50",
                ["Rollout:TrafficSteps:1"] = "100",
                ["Rollout:BakeTime"] = "00:00:00",
                // The tests' drops are a few hundred records: a paired interval that wide would hold back an equally good
                // challenger under the default 1 % margin, and which test runs first would decide the others' gates.
                ["Evaluation:Margin"] = "0.25",

                // The rollout's quality probe lets through what the gate let through: on a few texts of such small drops a
                // challenger the gate passed can score a few percent worse than the champion.
                ["Rollout:Analysis:MaxQualityRegression"] = "0.25",
                ["Rollout:ReadinessPollInterval"] = "00:00:00.200",
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }

        Arm?.Dispose();
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }

        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // a process may still be writing; the temp folder is cleaned by the OS
        }
    }
}
