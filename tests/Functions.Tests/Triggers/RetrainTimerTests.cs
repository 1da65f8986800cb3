using GenAiServerless.Functions.Triggers;
using GenAiServerless.Pipeline;
using GenAiServerless.Tests.Functions.TestDoubles;
using GenAiServerless.Triggers;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GenAiServerless.Tests.Functions.Triggers;

public sealed class RetrainTimerTests
{
    static readonly DateTimeOffset Occurrence = new(2026, 3, 14, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SlotOf_MonitoredOccurrenceJustPassed_IsThatOccurrence()
    {
        var timer = new TimerInfo { ScheduleStatus = new ScheduleStatus { Next = Occurrence.UtcDateTime, Last = Occurrence.AddDays(-1).UtcDateTime } };

        Assert.Equal(Occurrence, RetrainTimer.SlotOf(timer, Occurrence.AddSeconds(1.7)));
    }

    [Fact]
    public void SlotOf_InvocationLateIntoTheNextMinute_StillTheOccurrence()
    {
        var timer = new TimerInfo { ScheduleStatus = new ScheduleStatus { Next = Occurrence.UtcDateTime } };

        Assert.Equal(Occurrence, RetrainTimer.SlotOf(timer, Occurrence.AddMinutes(3).AddSeconds(5)));
    }

    [Fact]
    public void SlotOf_PastDueAfterDowntime_IsTheMissedOccurrence()
    {
        var timer = new TimerInfo { IsPastDue = true, ScheduleStatus = new ScheduleStatus { Next = Occurrence.UtcDateTime } };

        Assert.Equal(Occurrence, RetrainTimer.SlotOf(timer, Occurrence.AddHours(5)));
    }

    [Fact]
    public void SlotOf_NoScheduleMonitor_IsTheCurrentUtcMinute()
    {
        Assert.Equal(Occurrence, RetrainTimer.SlotOf(new TimerInfo(), Occurrence.AddSeconds(59.9)));
    }

    [Fact]
    public void SlotOf_NextStillAhead_IsTheCurrentUtcMinute()
    {
        var timer = new TimerInfo { ScheduleStatus = new ScheduleStatus { Next = Occurrence.AddDays(1).UtcDateTime } };

        Assert.Equal(Occurrence, RetrainTimer.SlotOf(timer, Occurrence.AddSeconds(30)));
    }

    [Fact]
    public async Task RunAsync_Fired_SchedulesOnePipelinePerModelNamedBySlot()
    {
        using var services = TestApp.Services();
        var trigger = new RetrainTimer(services.GetRequiredService<PipelineStarterFactory>(), new FakeTimeProvider(Occurrence.AddSeconds(2)), NullLogger<RetrainTimer>.Instance);
        var client = new FakeDurableTaskClient();

        IReadOnlyList<TriggerOutcome> outcomes = await trigger.RunAsync(new TimerInfo(), client, CancellationToken.None);

        Assert.All(outcomes, o => Assert.Equal(TriggerOutcomeKind.Started, o.Kind));
        Assert.Equal(
            [$"{TestApp.Model}-sched-202603140200", "other-model-sched-202603140200"],
            client.ScheduledInstances.Select(s => s.InstanceId));
        Assert.All(client.ScheduledInstances, s => Assert.Equal(nameof(ModelPipelineOrchestrator), s.Name));
        Assert.All(client.ScheduledInstances, s => Assert.Equal(PipelineTrigger.Schedule, Assert.IsType<PipelineRequest>(s.Input).Trigger));
    }
}
