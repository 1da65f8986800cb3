using GenAiServerless.Pipeline;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace GenAiServerless.Data;

/// <summary>The Data stage as an activity: the drop is read from, and the outputs written to, blob storage.</summary>
[DurableTask(nameof(CurateDataDrop))]
public sealed class CurateDataDrop(PipelineStorage storage, ILogger<CurateDataDrop> logger) : TaskActivity<DataPrepInput, DataPrepResult>
{
    public override Task<DataPrepResult> RunAsync(TaskActivityContext context, DataPrepInput input) =>
        DataStage.RunAsync(new BlobDataStore(storage), input, logger, CancellationToken.None);
}
