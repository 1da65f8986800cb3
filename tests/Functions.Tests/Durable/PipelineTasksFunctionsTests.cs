using GenAiServerless.Functions.Durable;
using GenAiServerless.Functions.Hosting;
using GenAiServerless.Pipeline;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Training;
using GenAiServerless.Training.Prices;
using Microsoft.DurableTask;

namespace GenAiServerless.Tests.Functions.Durable;

public sealed class PipelineTasksFunctionsTests
{
    [Fact]
    public async Task SelectTrainingCompute_WithInput_RunsTheActivityClassWithItsServices()
    {
        using var services = TestApp.Services();
        var context = new FakeFunctionContext(services, new Dictionary<string, object?> { ["instanceId"] = "tinylm-drop-1" });
        var input = new ComputeRequirements("T4", 16, 1, [], TimeSpan.FromHours(1), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(5), null, 10m, true);

        TrainingCompute compute = await PipelineTasksFunctions.SelectTrainingCompute(input, context);

        Assert.Equal("T4", compute.Offer.GpuType);
        Assert.True(compute.Offer.Spot);
    }

    [Fact]
    public void For_WithInstanceIdInBindingData_CarriesNameAndInstanceId()
    {
        using var services = TestApp.Services();
        var context = new FakeFunctionContext(services, new Dictionary<string, object?> { ["instanceId"] = "tinylm-sched-202601010200" });

        FunctionActivityContext activity = FunctionActivityContext.For(nameof(SubmitJob), context);

        Assert.Equal(new TaskName(nameof(SubmitJob)), activity.Name);
        Assert.Equal("tinylm-sched-202601010200", activity.InstanceId);
    }

    [Fact]
    public void For_WithoutInstanceId_HasAnEmptyInstanceId()
    {
        using var services = TestApp.Services();

        FunctionActivityContext activity = FunctionActivityContext.For(nameof(SubmitJob), new FakeFunctionContext(services, new Dictionary<string, object?>()));

        Assert.Equal(string.Empty, activity.InstanceId);
    }
}
