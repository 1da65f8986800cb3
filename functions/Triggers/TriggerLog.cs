using GenAiServerless.Triggers;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Functions.Triggers;

/// <summary>The key log event of every trigger: what the starter did with the input.</summary>
static partial class TriggerLog
{
    /// <summary>Logs <paramref name="outcome"/>: a warning when the input was rejected or named nothing known.</summary>
    public static void Outcome(ILogger logger, string trigger, TriggerOutcome outcome)
    {
        LogLevel level = outcome.Kind is TriggerOutcomeKind.Rejected or TriggerOutcomeKind.NotFound ? LogLevel.Warning : LogLevel.Information;
        Outcome(logger, level, trigger, outcome.Kind, outcome.InstanceId ?? "-", outcome.Message);
    }

    [LoggerMessage(Message = "{Trigger}: {Kind} {InstanceId}: {Detail}")]
    static partial void Outcome(ILogger logger, LogLevel level, string trigger, TriggerOutcomeKind kind, string instanceId, string detail);
}
