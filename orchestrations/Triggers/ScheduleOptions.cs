using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Triggers;

/// <summary>Off-peak retraining. Bound from <c>Schedule</c>.</summary>
public sealed class ScheduleOptions
{
    /// <summary>Six-field cron (with seconds), evaluated in UTC. Default: 02:00 every day, off-peak.</summary>
    [Required]
    public string RetrainCron { get; set; } = "0 0 2 * * *";
}
