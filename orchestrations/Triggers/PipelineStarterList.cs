using Microsoft.DurableTask.Client;

namespace GenAiServerless.Triggers;

public sealed partial class PipelineStarter
{
    /// <summary>The most recently created instances, newest first.</summary>
    public async Task<IReadOnlyList<PipelineStatusView>> ListRecentAsync(int max, CancellationToken cancellationToken)
    {
        var list = new List<PipelineStatusView>();
        await foreach (OrchestrationMetadata m in client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 100, FetchInputsAndOutputs = false }).WithCancellation(cancellationToken))
        {
            list.Add(new PipelineStatusView(m.InstanceId, m.Name, m.RuntimeStatus.ToString(), m.CreatedAt, m.LastUpdatedAt, null, null, m.FailureDetails?.ErrorMessage));
        }

        return list.OrderByDescending(v => v.CreatedAt).Take(max).ToList();
    }
}
