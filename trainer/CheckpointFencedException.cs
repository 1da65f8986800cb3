namespace GenAiServerless.Trainer;

/// <summary>A later attempt of the same job owns the checkpoints: this attempt stops without writing anything more.</summary>
public sealed class CheckpointFencedException : Exception
{
    public CheckpointFencedException()
    {
    }

    public CheckpointFencedException(string message)
        : base(message)
    {
    }

    public CheckpointFencedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
