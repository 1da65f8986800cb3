namespace GenAiServerless.Local.Storage;

/// <summary>The wait of a polling loop: its normal interval while things work, doubling (up to a ceiling) after each
/// failure in a row, so a storage outage is not hammered and the loop picks up again soon after it ends.</summary>
public sealed class OutageBackoff(TimeSpan interval, TimeSpan ceiling)
{
    int failures;
    bool first = true;

    /// <summary>Failures in a row so far.</summary>
    public int Failures => failures;

    /// <summary>How long to wait before the next round.</summary>
    public TimeSpan Next => failures == 0
        ? interval
        : TimeSpan.FromTicks(Math.Min(ceiling.Ticks, interval.Ticks * (1L << Math.Min(failures - 1, 20))));

    /// <summary>Waits <see cref="Next"/> (not before the first round); false once <paramref name="stoppingToken"/> fires.</summary>
    public async Task<bool> WaitAsync(CancellationToken stoppingToken)
    {
        if (first)
        {
            first = false;
            return !stoppingToken.IsCancellationRequested;
        }

        try
        {
            await Task.Delay(Next, stoppingToken);
            return true;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Succeeded() => failures = 0;

    public void Failed() => failures++;
}
