using Microsoft.DurableTask;

namespace GenAiServerless.Training.Prices;

/// <summary>Plans when to submit (reads the history and the clock: an activity, so the orchestrator stays deterministic).</summary>
[DurableTask(nameof(PlanPriceWindow))]
public sealed class PlanPriceWindow(ISpotPriceHistory history, TimeProvider clock) : TaskActivity<PriceWindowQuery, PriceWindow>
{
    public override async Task<PriceWindow> RunAsync(TaskActivityContext context, PriceWindowQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        IReadOnlyList<SpotPricePoint> points = await history.GetAsync(input.Sku, input.Region, CancellationToken.None);
        return PriceWindowPlanner.Plan(points, input, clock.GetUtcNow().UtcDateTime);
    }
}
