using System.Text.Json;
using GenAiServerless.Pipeline;
using GenAiServerless.Training;
using GenAiServerless.Triggers;

namespace GenAiServerless.Local.Demo;

/// <summary>Follows a pipeline run through its custom status, reporting each stage change and training progress.</summary>
public sealed class PipelineFollower(PipelineStarter starter)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Polls at ~200 ms (the client's own wait polls every 2 s) until the run ends or the timeout passes.</summary>
    public async Task<PipelineStatusView> FollowAsync(string instanceId, Action<string> report, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var seen = new Dictionary<PipelineStage, string>();
        string lastJob = string.Empty;
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            PipelineStatusView? view = await starter.GetStatusAsync(instanceId, cancellationToken);
            if (view?.Progress is { } progressJson && progressJson.Deserialize<PipelineProgress>(Json) is { } progress)
            {
                foreach (StageReport stage in progress.Stages)
                {
                    string key = $"{stage.State}|{stage.Detail}";
                    if (stage.State != StageState.Pending && (!seen.TryGetValue(stage.Stage, out string? prior) || prior != key))
                    {
                        seen[stage.Stage] = key;
                        string timing = stage.Seconds is { } s ? $" ({s:F1} s)" : string.Empty;
                        report($"{stage.Stage.Name(),-10} {stage.State,-9}{timing} {stage.Detail}");
                    }
                }

                if (progress.Current is PipelineStage.Training or PipelineStage.Evaluation)
                {
                    string suffix = progress.Current == PipelineStage.Training ? "train" : "eval";
                    PipelineStatusView? job = await starter.GetStatusAsync($"{instanceId}-{suffix}", cancellationToken);
                    if (job?.Progress is { } jp && jp.Deserialize<JobProgress>(Json) is { } p)
                    {
                        string line = $"{p.JobId} attempt {p.Attempt}: {p.State} {p.Progress:P0}, cost so far ${p.CostSoFarUsd:0.######}";
                        if (line != lastJob)
                        {
                            lastJob = line;
                            report($"           {line}");
                        }
                    }
                }
            }

            if (view is not null && view.RuntimeStatus is "Completed" or "Failed" or "Terminated")
            {
                return view;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{instanceId} did not finish within {timeout.TotalMinutes:F0} min (last state {view?.RuntimeStatus ?? "not started"})");
            }

            await Task.Delay(200, cancellationToken);
        }
    }
}
