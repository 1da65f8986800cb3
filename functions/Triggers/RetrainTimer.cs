using GenAiServerless.Triggers;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Functions.Triggers;

/// <summary>The off-peak schedule (<c>Schedule:RetrainCron</c>) fired: retrain every model on the data curated since.</summary>
public sealed class RetrainTimer(PipelineStarterFactory starters, TimeProvider clock, ILogger<RetrainTimer> logger)
{
    static readonly TimeSpan EarlyFiring = TimeSpan.FromMinutes(1);

    [Function(nameof(RetrainTimer))]
    public async Task<IReadOnlyList<TriggerOutcome>> RunAsync(
        [TimerTrigger("%Schedule:RetrainCron%")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        DateTimeOffset slot = SlotOf(timer, clock.GetUtcNow());
        IReadOnlyList<TriggerOutcome> outcomes = await starters.Create(client).StartScheduledAsync(slot, cancellationToken);
        foreach (TriggerOutcome outcome in outcomes)
        {
            TriggerLog.Outcome(logger, nameof(RetrainTimer), outcome);
        }

        return outcomes;
    }

    /// <summary>The schedule occurrence this invocation stands for, to the minute: it names the runs, so a retried or
    /// duplicated invocation of the same occurrence maps to the same instance ids.</summary>
    /// <remarks>While the function runs, the timer's schedule monitor still holds this occurrence as <c>Next</c> (it moves
    /// on only after the invocation), also for a past-due run after downtime, so that is the slot. Without a monitor
    /// (<c>ScheduleStatus</c> null), or when <c>Next</c> lies ahead (a run-on-startup invocation), the slot is the current
    /// UTC minute: a scheduled invocation starts within seconds of its occurrence, and the minute is what the instance id
    /// keeps anyway.</remarks>
    public static DateTimeOffset SlotOf(TimerInfo timer, DateTimeOffset utcNow)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (timer.ScheduleStatus is { } status && status.Next != default)
        {
            // The host writes local times (UTC on Azure unless WEBSITE_TIME_ZONE is set); DateTimeOffset reads them so.
            DateTimeOffset next = new DateTimeOffset(status.Next).ToUniversalTime();
            if (next <= utcNow + EarlyFiring)
            {
                return TruncateToMinute(next);
            }
        }

        return TruncateToMinute(utcNow.ToUniversalTime());
    }

    static DateTimeOffset TruncateToMinute(DateTimeOffset t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, 0, TimeSpan.Zero);
}
