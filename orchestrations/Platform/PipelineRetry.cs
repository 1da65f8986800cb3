using Microsoft.DurableTask;

namespace GenAiServerless.Platform;

/// <summary>Named retry policies for activity calls.</summary>
public static class PipelineRetry
{
    /// <summary>Transient storage or process hiccups: three attempts, 2 s then 4 s apart.</summary>
    public static readonly TaskOptions Activity = TaskOptions.FromRetryPolicy(new RetryPolicy(
        maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2.0));
}
