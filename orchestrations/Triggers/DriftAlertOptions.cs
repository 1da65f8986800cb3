namespace GenAiServerless.Triggers;

/// <summary>How drift alerts start retraining. Bound from <c>DriftAlerts</c>.</summary>
public sealed class DriftAlertOptions
{
    /// <summary>After a drift alert starts a run for a model, further alerts for that model start nothing until this
    /// much time has passed (they are accepted and answered with the run that holds the cooldown): a flapping metric
    /// alert, a log search alert that fires on every evaluation, or ten rules firing on one shift of the data start one
    /// retraining, not a storm. Zero turns it off. Default six hours.</summary>
    public TimeSpan Cooldown { get; set; } = TimeSpan.FromHours(6);
}
