namespace GenAiServerless.Trainer;

/// <summary>The <c>genai-trainer</c> command line, callable in-process: <c>train</c>, <c>evaluate</c>, <c>generate</c>.</summary>
public static class TrainerCommand
{
    /// <summary>Exit code of a finished command.</summary>
    public const int Succeeded = 0;

    /// <summary>Exit code when the data, a checkpoint or the model is bad; stderr names the file (and line).</summary>
    public const int Failed = 1;

    /// <summary>Exit code when the command line itself is wrong.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code when a later attempt of the same job owns the checkpoints (see <see cref="CheckpointStore"/>).</summary>
    public const int Fenced = 3;

    /// <summary>The environment variable that carries the job's attempt number, set by the job backend.</summary>
    public const string AttemptVariable = "GENAI_JOB_ATTEMPT";

    private const string Help = """
        genai-trainer: trains, evaluates and samples a word-level n-gram language model
        (interpolated Kneser-Ney). Honours the job contract: --data, --out, --checkpoints; exit 0 = done.

        usage:
          genai-trainer train --data <dir> --out <dir> --checkpoints <dir>
                              [--order 3] [--steps 20] [--checkpoint-every 1] [--step-delay-ms 0] [--seed 1]
              reads train-*.jsonl and validation-*.jsonl ({"id":..,"text":..} per line) from --data,
              resumes from <checkpoints>/checkpoint.bin if present, writes <checkpoints>/progress.json
              after each step, and <out>/model.json, <out>/model.bin, <out>/metrics.json at the end.
          genai-trainer evaluate --model <dir> --data <dir> --out <dir> [--eval-set <dir>] [--prompts <file|dir>]
              scores every record of test-*.jsonl (and of the eval set's *.jsonl) in bits: <out>/examples.jsonl
              ({"set","id","bytes","bits","bits_per_byte"}); completes each {"id","prompt"} of --prompts (or three
              prompts from test records): <out>/generations.jsonl ({"id","prompt","completion","latency_ms"});
              <out>/metrics.json (test_perplexity, test_bits_per_byte, eval_bits_per_byte, generation latency, samples).
          genai-trainer generate --model <dir> --prompt <text> [--max-tokens 30] [--seed 1] [--temperature 1.0]
              prints a completion of the prompt.
          genai-trainer serve --model <dir> [--max-tokens 24] [--temperature 0.8]
              keeps the model loaded: one JSON request per line on stdin ({"prompt", "maxTokens", "seed",
              "temperature"}), one JSON answer per line on stdout ({"completion"} or {"error"}); a {"text"} request
              is answered with its loss ({"bits","bytes"}, as evaluate writes it); the first line says it is ready.
              What an online deployment's scoring script runs.

        exit codes: 0 done, 1 bad data/checkpoint/model (stderr names file and line), 2 bad command line,
        3 fenced: a later attempt of the job (GENAI_JOB_ATTEMPT) owns --checkpoints, so this one stopped without writing.
        """;

    /// <summary>Runs one command; never throws for bad input, it reports on <paramref name="stderr"/> and returns non-zero.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help" || args.Contains("--help") || args.Contains("-h"))
        {
            stdout.WriteLine(Help);
            return args.Length == 0 ? UsageError : Succeeded;
        }

        try
        {
            var options = args[1..];
            switch (args[0])
            {
                case "train":
                    new TrainJob(ParseTrain(options), stdout).Run();
                    break;
                case "evaluate":
                    var evaluate = CommandLineArguments.Parse("evaluate", options, "model", "data", "out", "eval-set", "prompts");
                    new EvaluateJob(evaluate.Required("model"), evaluate.Required("data"), evaluate.Required("out"), stdout)
                    {
                        EvalSet = evaluate.Optional("eval-set"),
                        Prompts = evaluate.Optional("prompts"),
                    }.Run();
                    break;
                case "generate":
                    var generate = CommandLineArguments.Parse("generate", options, "model", "prompt", "max-tokens", "seed", "temperature");
                    var model = NGramModel.Load(generate.Required("model"));
                    stdout.WriteLine(model.Generate(
                        generate.Required("prompt"),
                        generate.Integer("max-tokens", 30, minimum: 0),
                        generate.Integer("seed", 1, minimum: int.MinValue),
                        generate.PositiveNumber("temperature", 1.0)));
                    break;
                case "serve":
                    var serve = CommandLineArguments.Parse("serve", options, "model", "max-tokens", "temperature");
                    new ServeJob(serve.Required("model"), serve.Integer("max-tokens", 24, minimum: 0), serve.PositiveNumber("temperature", 0.8), Console.In, stdout).Run();
                    break;
                default:
                    throw new UsageException($"unknown command '{args[0]}'; expected train, evaluate, generate or serve");
            }

            return Succeeded;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"genai-trainer: {e.Message} (see genai-trainer --help)");
            return UsageError;
        }
        catch (TrainerInputException e)
        {
            stderr.WriteLine($"genai-trainer: {e.Message}");
            return Failed;
        }
        catch (CheckpointFencedException e)
        {
            stderr.WriteLine($"genai-trainer: fenced: {e.Message}");
            return Fenced;
        }
    }

    /// <summary>The attempt number the backend set, if any; a malformed value is a usage error naming the variable.</summary>
    private static int? Attempt()
    {
        string? value = Environment.GetEnvironmentVariable(AttemptVariable);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int attempt) && attempt >= 1
            ? attempt
            : throw new UsageException($"{AttemptVariable} must be a positive whole number, got '{value}'");
    }

    private static TrainOptions ParseTrain(string[] options)
    {
        var train = CommandLineArguments.Parse("train", options, "data", "out", "checkpoints", "order", "steps", "checkpoint-every", "step-delay-ms", "seed");
        var order = train.Integer("order", 3, minimum: 1);
        if (order > NGram.MaxOrder)
        {
            throw new UsageException($"train: option '--order' must be at most {NGram.MaxOrder}, got {order}");
        }

        return new TrainOptions(
            train.Required("data"),
            train.Required("out"),
            train.Required("checkpoints"),
            order,
            train.Integer("steps", 20, minimum: 1),
            train.Integer("checkpoint-every", 1, minimum: 1),
            train.Integer("step-delay-ms", 0, minimum: 0),
            train.Integer("seed", 1, minimum: int.MinValue),
            Attempt());
    }
}
