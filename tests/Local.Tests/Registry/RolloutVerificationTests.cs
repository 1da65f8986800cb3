using Azure.Storage.Blobs;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Rollout;
using GenAiServerless.Tests.Local.Stack;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace GenAiServerless.Tests.Local.Registry;

/// <summary>On the local stack (engine, worker, registry signing with the stack's key ring, endpoint host): a version
/// one byte of whose files changed after registration is refused before anything is deployed.</summary>
[Collection(StackTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed class RolloutVerificationTests(StackFixture fixture)
{
    [Fact]
    public async Task DeploymentOrchestrator_RegisteredFileTampered_RefusesTheRolloutNamingTheFile()
    {
        string model = $"tamper-{Guid.NewGuid():N}"[..15];
        IModelRegistry registry = fixture.Stack.Services.GetRequiredService<IModelRegistry>();
        PipelineStorage storage = fixture.Stack.Services.GetRequiredService<PipelineStorage>();
        await storage.Container(PipelineStorage.Models).GetBlobClient($"jobs/{model}-train-a1/model.json").UploadAsync(BinaryData.FromString("{\"order\":3,\"counts\":{}}"));
        ModelVersionInfo version = await registry.RegisterAsync(
            new ModelRegistration(model, $"{model}-run", $"{model}-train-a1", $"{PipelineStorage.Models}/jobs/{model}-train-a1/", "curated/m.json", "feed", new Dictionary<string, double>()),
            DateTime.UtcNow,
            CancellationToken.None);
        Assert.NotNull(version.Signature);
        Assert.True(File.Exists(Path.Combine(fixture.Home, "keys", "manifest-signing", "current")), "the stack signs with the key ring in its home");

        (BlobContainerClient container, string prefix) = storage.Locate(version.FilesPrefix);
        BlobClient file = container.GetBlobClient(prefix + "model.json");
        byte[] bytes = (await file.DownloadContentAsync()).Value.Content.ToArray();
        bytes[^2] ^= 0x20;
        await file.UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);

        string id = $"{model}-deploy-v{version.Version}";
        await fixture.Stack.Client.ScheduleNewOrchestrationInstanceAsync(
            nameof(DeploymentOrchestrator),
            new DeploymentRequest(version, new RolloutPolicy([100], TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(200), "hi")),
            new StartOrchestrationOptions(id));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        OrchestrationMetadata done = await fixture.Stack.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        RolloutResult result = done.ReadOutputAs<RolloutResult>()!;
        Assert.False(result.Succeeded);
        Assert.StartsWith($"refused {model} v{version.Version}: file model.json changed: SHA-256 ", result.Detail, StringComparison.Ordinal);
        Assert.Empty(result.Steps);
        Assert.Null(await registry.GetAliasAsync(model, ModelAliases.Champion, CancellationToken.None));
    }
}
