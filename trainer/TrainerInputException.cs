namespace GenAiServerless.Trainer;

/// <summary>Bad input to a job (arguments, data, checkpoint or model files); the message names what and where.</summary>
public sealed class TrainerInputException : Exception
{
    public TrainerInputException()
    {
    }

    public TrainerInputException(string message)
        : base(message)
    {
    }

    public TrainerInputException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
