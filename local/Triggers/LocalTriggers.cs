using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues.Models;
using Cronos;
using GenAiServerless.Local.Storage;
using GenAiServerless.Pipeline;
using GenAiServerless.Platform;
using GenAiServerless.Triggers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GenAiServerless.Local.Triggers;

/// <summary>Registers the local equivalents of the Functions triggers; each calls the shared <see cref="PipelineStarter"/>.</summary>
public static class LocalTriggerServiceCollectionExtensions
{
    public static IServiceCollection AddLocalTriggers(this IServiceCollection services)
    {
        services.AddHostedService<BlobDropScanner>();
        services.AddHostedService<RetrainScheduler>();
        services.AddHostedService<DriftAlertPoller>();
        return services;
    }
}

/// <summary>The local blob trigger: scans <c>incoming/{model}/…</c> every second and starts a pipeline per new blob
/// version (name + ETag). The starter is idempotent, so a restart that sees the same blobs starts nothing twice.</summary>
public sealed partial class BlobDropScanner(PipelineStorage storage, PipelineStarter starter, IHostApplicationLifetime lifetime, ILogger<BlobDropScanner> logger) : BackgroundService
{
    readonly HashSet<string> handled = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        var backoff = new OutageBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (await backoff.WaitAsync(stoppingToken))
        {
            try
            {
                await foreach (BlobItem blob in storage.Container(PipelineStorage.Incoming).GetBlobsAsync(cancellationToken: stoppingToken))
                {
                    string key = $"{blob.Name}|{blob.Properties.ETag}";
                    if (handled.Contains(key))
                    {
                        continue;
                    }

                    DropPath drop = DropPath.Parse(blob.Name);
                    TriggerOutcome outcome = await starter.StartForDropAsync(drop.Model, drop.BlobName, blob.Properties.ETag?.ToString() ?? string.Empty, blob.Properties.ContentLength ?? 0, stoppingToken);
                    handled.Add(key);
                    Log.Outcome(logger, blob.Name, outcome.Kind, outcome.Message);
                }

                backoff.Succeeded();
            }
            catch (Exception e) when (StorageFaults.IsTrigger(e, stoppingToken))
            {
                backoff.Failed();
                Log.ScanFailed(logger, backoff.Next, e.Message);
            }
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "incoming/{Blob}: {Kind} — {Message}")]
        public static partial void Outcome(ILogger logger, string blob, TriggerOutcomeKind kind, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Blob scan failed, retrying in {Wait}: {Reason}")]
        public static partial void ScanFailed(ILogger logger, TimeSpan wait, string reason);
    }
}

/// <summary>The local timer trigger: the same six-field cron as the Functions app (<c>Schedule:RetrainCron</c>), in UTC.</summary>
public sealed partial class RetrainScheduler(PipelineStarter starter, IOptions<ScheduleOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<RetrainScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        CronExpression cron = CronExpression.Parse(options.Value.RetrainCron, CronFormat.IncludeSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            DateTimeOffset now = clock.GetUtcNow();
            DateTimeOffset? next = cron.GetNextOccurrence(now, TimeZoneInfo.Utc);
            if (next is null)
            {
                return;
            }

            Log.Next(logger, next.Value);
            await Task.Delay(next.Value - now, clock, stoppingToken);

            // A slot missed in a storage outage is retried until it starts: its instance ids derive from the slot, so a
            // retry that follows a start which did go through starts nothing twice.
            var backoff = new OutageBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
            while (await backoff.WaitAsync(stoppingToken))
            {
                try
                {
                    foreach (TriggerOutcome outcome in await starter.StartScheduledAsync(next.Value, stoppingToken))
                    {
                        Log.Fired(logger, outcome.Kind, outcome.Message);
                    }

                    break;
                }
                catch (Exception e) when (StorageFaults.IsTrigger(e, stoppingToken))
                {
                    backoff.Failed();
                    Log.Failed(logger, next.Value, backoff.Next, e.Message);
                }
            }
        }
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Debug, Message = "Next scheduled retraining at {Next:u}")]
        public static partial void Next(ILogger logger, DateTimeOffset next);

        [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled retraining: {Kind} — {Message}")]
        public static partial void Fired(ILogger logger, TriggerOutcomeKind kind, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled retraining for slot {Slot:u} could not start, retrying in {Wait}: {Reason}")]
        public static partial void Failed(ILogger logger, DateTimeOffset slot, TimeSpan wait, string reason);
    }
}

/// <summary>The local queue trigger on <c>drift-alerts</c>. A message is deleted once the starter has handled it —
/// started, duplicate, or rejected into the quarantine with its reason — so nothing is lost and nothing loops.</summary>
public sealed partial class DriftAlertPoller(PipelineStorage storage, PipelineStarter starter, IHostApplicationLifetime lifetime, ILogger<DriftAlertPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        Azure.Storage.Queues.QueueClient queue = storage.Queue(PipelineStorage.DriftAlertsQueue);
        var backoff = new OutageBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (await backoff.WaitAsync(stoppingToken))
        {
            try
            {
                QueueMessage[] messages = (await queue.ReceiveMessagesAsync(maxMessages: 16, visibilityTimeout: TimeSpan.FromMinutes(1), stoppingToken)).Value;
                foreach (QueueMessage message in messages)
                {
                    TriggerOutcome outcome = await starter.StartForDriftAlertAsync(DecodeBody(message), stoppingToken);
                    Log.Outcome(logger, message.MessageId, outcome.Kind, outcome.Message);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken);
                }

                backoff.Succeeded();
            }
            catch (Exception e) when (StorageFaults.IsTrigger(e, stoppingToken))
            {
                backoff.Failed();
                Log.PollFailed(logger, backoff.Next, e.Message);
            }
        }
    }

    /// <summary>Functions' queue trigger accepts plain text or base64; so does this one.</summary>
    public static string DecodeBody(QueueMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string text = message.Body.ToString();
        if (!text.TrimStart().StartsWith('{'))
        {
            try
            {
                return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(text));
            }
            catch (FormatException)
            {
                // not base64 either: hand it over as it is, the starter quarantines it with the reason
            }
        }

        return text;
    }

    static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "drift-alerts message {MessageId}: {Kind} — {Message}")]
        public static partial void Outcome(ILogger logger, string messageId, TriggerOutcomeKind kind, string message);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Queue poll failed, retrying in {Wait}: {Reason}")]
        public static partial void PollFailed(ILogger logger, TimeSpan wait, string reason);
    }
}

/// <summary>Lets a trigger wait for the host (and so the engine's gRPC endpoint) to be listening.</summary>
static class HostLifetimeExtensions
{
    public static async Task WhenStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using CancellationTokenRegistration r1 = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using CancellationTokenRegistration r2 = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        await started.Task;
    }
}
