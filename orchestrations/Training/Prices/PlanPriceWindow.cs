using System.Text.Json;
using Azure;
using Microsoft.DurableTask;

namespace GenAiServerless.Training.Prices;

/// <summary>Plans when to submit (reads the history and the clock: an activity, so the orchestrator stays deterministic).
/// Waiting for a cheaper hour is an optimisation: when the history cannot be read the run submits now and says why,
/// rather than failing a training run over a price lookup.</summary>
[DurableTask(nameof(PlanPriceWindow))]
public sealed class PlanPriceWindow(ISpotPriceHistory history, TimeProvider clock) : TaskActivity<PriceWindowQuery, PriceWindow>
{
    public override async Task<PriceWindow> RunAsync(TaskActivityContext context, PriceWindowQuery input)
    {
        ArgumentNullException.ThrowIfNull(input);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        IReadOnlyList<SpotPricePoint> points;
        try
        {
            points = await history.GetAsync(input.Sku, input.Region, CancellationToken.None);
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new PriceWindow(now, input.CurrentPricePerHour, $"spot price history unavailable ({e.Message}): submitting now");
        }

        return PriceWindowPlanner.Plan(points, input, now);
    }
}
