using System.Diagnostics;
using System.Text.Json;
using GenAiServerless.Local.Stack;
using GenAiServerless.Pipeline;
using GenAiServerless.Triggers;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Tests.Local.Stack;

/// <summary>One in-process stack (durable engine on the run's shared Azurite, worker, endpoint host, API) per test run,
/// shared by every integration test. The stack's own triggers are off: tests call the shared starter directly, so
/// that a crash test's separate process can scan <c>incoming/</c> without racing it.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    public const string Model = "tinylm";

    /// <summary>The model that <c>local/appsettings.json</c> trains with the PyTorch causal-LM trainer.</summary>
    public const string TransformerModel = "tinygpt";

    AzuriteServer? azurite;

    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"genai-tests-{Guid.NewGuid():N}");

    public string ConnectionString => azurite!.ConnectionString;

    public LocalPipelineHost Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        azurite = await SharedAzurite.GetAsync();
        Stack = await LocalPipelineHost.StartAsync(new LocalPipelineHostSettings
        {
            Home = Home,
            StorageConnectionString = azurite.ConnectionString,
            TaskHub = "IntegrationTests",
            EnableTriggers = false,
            ConsoleLogLevel = LogLevel.Warning,
            Overrides = new Dictionary<string, string?>
            {
                ["Pipeline:Models:0"] = Model,
                ["Training:Hyperparameters:steps"] = "6",
                ["Training:Hyperparameters:step-delay-ms"] = "400",
                ["LocalJobs:InjectEvictionAtProgress"] = "0.3",
                ["Training:PollInterval"] = "00:00:00.500",
                ["Training:MaxPollInterval"] = "00:00:00.500",
                ["Rollout:TrafficSteps:0"] = "50",
                ["Rollout:TrafficSteps:1"] = "100",
                ["Rollout:BakeTime"] = "00:00:00",
                // The tests' drops are a few hundred records: a paired interval that wide would hold back an equally good
                // challenger under the default 1 % margin, and which test runs first would decide the others' gates.
                ["Evaluation:Margin"] = "0.25",

                // The rollout's quality probe lets through what the gate let through: on a few texts of such small drops a
                // challenger the gate passed can score a few percent worse than the champion.
                ["Rollout:Analysis:MaxQualityRegression"] = "0.25",

                // The transformer family (local/appsettings.json's tinygpt, the causal-lm component) at test size; slow
                // enough steps that the injected eviction lands mid-run.
                [$"Training:Models:{TransformerModel}:Hyperparameters:d-model"] = "32",
                [$"Training:Models:{TransformerModel}:Hyperparameters:heads"] = "2",
                [$"Training:Models:{TransformerModel}:Hyperparameters:layers"] = "1",
                [$"Training:Models:{TransformerModel}:Hyperparameters:seq-len"] = "32",
                [$"Training:Models:{TransformerModel}:Hyperparameters:batch-size"] = "8",
                [$"Training:Models:{TransformerModel}:Hyperparameters:steps"] = "30",
                [$"Training:Models:{TransformerModel}:Hyperparameters:warmup-steps"] = "3",
                [$"Training:Models:{TransformerModel}:Hyperparameters:checkpoint-every"] = "5",
                [$"Training:Models:{TransformerModel}:Hyperparameters:step-delay-ms"] = "80",
            },
        });
    }

    /// <summary>Polls the instance (the client's own wait polls every 2 s) until it ends.</summary>
    public Task<PipelineStatusView> WaitForEndAsync(string instanceId, TimeSpan timeout) => WaitForEndAsync(Stack, instanceId, timeout);

    /// <summary>Polls an instance of <paramref name="stack"/> until it ends.</summary>
    public static async Task<PipelineStatusView> WaitForEndAsync(LocalPipelineHost stack, string instanceId, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            PipelineStatusView? view = await stack.Starter.GetStatusAsync(instanceId, CancellationToken.None);
            if (view is { RuntimeStatus: "Completed" or "Failed" or "Terminated" })
            {
                return view;
            }

            if (watch.Elapsed > timeout)
            {
                throw new TimeoutException($"{instanceId} did not end within {timeout} (last: {view?.RuntimeStatus ?? "not found"}, {view?.Progress})");
            }

            await Task.Delay(200);
        }
    }

    public static PipelineResult ResultOf(PipelineStatusView view) =>
        view.Output?.Deserialize<PipelineResult>(JsonSerializerOptions.Web) ?? throw new InvalidOperationException($"{view.InstanceId} has no output: {view.Failure}");

    public async Task DisposeAsync()
    {
        if (Stack is not null)
        {
            await Stack.DisposeAsync();
        }

        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
            // a trainer process may still be writing; the temp folder is cleaned by the OS
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StackTestGroup : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
