using GenAiServerless.Data;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Tests.Functions.Triggers;

public sealed class BlobDropTriggerTests
{
    [Fact]
    public async Task RunAsync_KnownModel_SchedulesOnePipelineWithDeterministicInstanceId()
    {
        using var services = TestApp.Services();
        var trigger = new BlobDropTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<BlobDropTrigger>.Instance);
        var client = new FakeDurableTaskClient();

        TriggerOutcome outcome = await trigger.RunAsync(new FakeBlobClient("\"0x8DC0FFEE\"", 42), $"{TestApp.Model}/batch-1.jsonl", client, CancellationToken.None);

        string expectedId = InstanceIds.ForDrop(TestApp.Model, $"{TestApp.Model}/batch-1.jsonl", "\"0x8DC0FFEE\"");
        Assert.Equal(TriggerOutcomeKind.Started, outcome.Kind);
        Assert.Equal(expectedId, outcome.InstanceId);
        FakeDurableTaskClient.Scheduled scheduled = Assert.Single(client.ScheduledInstances);
        Assert.Equal(nameof(ModelPipelineOrchestrator), scheduled.Name);
        Assert.Equal(expectedId, scheduled.InstanceId);
        PipelineRequest request = Assert.IsType<PipelineRequest>(scheduled.Input);
        Assert.Equal(TestApp.Model, request.Model);
        Assert.Equal(new DropBlob($"{TestApp.Model}/batch-1.jsonl", "\"0x8DC0FFEE\"", 42), Assert.Single(request.Drops));
    }

    [Fact]
    public async Task RunAsync_SameBlobTwice_SecondIsAlreadyStartedAndSchedulesNothing()
    {
        using var services = TestApp.Services();
        var trigger = new BlobDropTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<BlobDropTrigger>.Instance);
        var client = new FakeDurableTaskClient { RememberScheduled = true };

        TriggerOutcome first = await trigger.RunAsync(new FakeBlobClient("\"0x1\"", 42), $"{TestApp.Model}/batch-1.jsonl", client, CancellationToken.None);
        TriggerOutcome second = await trigger.RunAsync(new FakeBlobClient("\"0x1\"", 42), $"{TestApp.Model}/batch-1.jsonl", client, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Started, first.Kind);
        Assert.Equal(TriggerOutcomeKind.AlreadyStarted, second.Kind);
        Assert.Equal(first.InstanceId, second.InstanceId);
        Assert.Single(client.ScheduledInstances);
    }

    [Fact]
    public async Task RunAsync_SameNameNewETag_StartsAnotherRun()
    {
        using var services = TestApp.Services();
        var trigger = new BlobDropTrigger(services.GetRequiredService<PipelineStarterFactory>(), NullLogger<BlobDropTrigger>.Instance);
        var client = new FakeDurableTaskClient { RememberScheduled = true };

        TriggerOutcome first = await trigger.RunAsync(new FakeBlobClient("\"0x1\"", 42), $"{TestApp.Model}/batch-1.jsonl", client, CancellationToken.None);
        TriggerOutcome reupload = await trigger.RunAsync(new FakeBlobClient("\"0x2\"", 42), $"{TestApp.Model}/batch-1.jsonl", client, CancellationToken.None);

        Assert.Equal(TriggerOutcomeKind.Started, reupload.Kind);
        Assert.NotEqual(first.InstanceId, reupload.InstanceId);
        Assert.Equal(2, client.ScheduledInstances.Count);
    }
}
