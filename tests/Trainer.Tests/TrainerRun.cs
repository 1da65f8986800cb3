using GenAiServerless.Trainer;

namespace GenAiServerless.Tests.Trainer;

/// <summary>The outcome of one in-process <c>genai-trainer</c> command.</summary>
internal sealed record TrainerRun(int ExitCode, string Stdout, string Stderr)
{
    public static TrainerRun Of(params string[] args) => Of(args, new StringWriter());

    public static TrainerRun Of(string[] args, StringWriter stdout)
    {
        using var stderr = new StringWriter();
        var exitCode = TrainerCommand.Run(args, stdout, stderr);
        return new TrainerRun(exitCode, stdout.ToString(), stderr.ToString());
    }

    public static TrainerRun Train(string data, string output, string checkpoints, params string[] more) =>
        Of(["train", "--data", data, "--out", output, "--checkpoints", checkpoints, .. more]);
}
