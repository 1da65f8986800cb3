using System.Globalization;
using GenAiServerless.Data;

namespace GenAiServerless.Curate;

/// <summary>The command line of <c>genai-curate</c>: the arguments of <c>genai curate</c>, parsed by hand (the Spectre
/// parser <c>genai</c> uses is reflection-based, which an ahead-of-time compiled program cannot run).</summary>
/// <param name="Report">Hidden: a file to write the process's CPU time and peak memory to (bench <c>etl</c>).</param>
public sealed record CurateArguments(CurateRequest Request, bool Help, string? Report)
{
    public const string Usage = """
        USAGE:
            genai-curate <FILE_OR_FOLDER> --model <NAME> --out <DIR> [OPTIONS]

        Run the Data stage alone on local files: curated shards, manifest, data card, quarantine under --out
        (the same as `genai curate`).

        ARGUMENTS:
            <FILE_OR_FOLDER>    A data file, or a folder of them (files and folders whose names start with '_' or '.' are markers or hidden and are skipped)

        OPTIONS:
            -h, --help            Prints help information
                --model <NAME>    Model the data is for: names the output folder and the near-duplicate index it is checked against
                --out <DIR>       Output folder, outside the input folder: curated/ and quarantine/ are written below it
                --quality <PRESET>  ShortRecords (default), Documents or Off
                --json            Print the manifest (one JSON document) instead of a summary
                --threads <N>     Shards curated at once (default: the number of cores). The outputs are the same for any value
                --parquet         Also write every curated JSONL file as Parquet beside it
                --shard-mb <MB>   Plain JSONL/CSV files larger than this are cut into byte-range shards (default 64)
        """;

    /// <summary>The arguments, or why they cannot be read (the message <c>genai curate</c> gives where it has one).</summary>
    public static CurateArguments Parse(IReadOnlyList<string> args, out string? error)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? problem = null;
        string? input = null, model = null, output = null, report = null;
        string quality = DataQualityPresets.ShortRecords;
        bool json = false, parquet = false, help = false;
        int? threads = null;
        int shardMegabytes = 64;
        for (int i = 0; i < args.Count && problem is null; i++)
        {
            string arg = args[i];
            string name = arg, value = "";
            bool inline = arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal);
            if (inline)
            {
                (name, value) = (arg[..arg.IndexOf('=', StringComparison.Ordinal)], arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            }

            string? Value()
            {
                if (inline)
                {
                    return value;
                }

                if (i + 1 < args.Count)
                {
                    return args[++i];
                }

                problem = $"Option '{name}' is defined but no value has been provided.";
                return null;
            }

            int? Number()
            {
                string? text = Value();
                if (text is null)
                {
                    return null;
                }

                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
                {
                    return n;
                }

                problem = $"{name}: '{text}' is not a whole number";
                return null;
            }

            switch (name)
            {
                case "-h" or "--help":
                    help = true;
                    break;
                case "--model":
                    model = Value();
                    break;
                case "--out":
                    output = Value();
                    break;
                case "--quality":
                    quality = Value() ?? quality;
                    break;
                case "--json":
                    json = true;
                    break;
                case "--parquet":
                    parquet = true;
                    break;
                case "--threads":
                    threads = Number();
                    break;
                case "--shard-mb":
                    shardMegabytes = Number() ?? shardMegabytes;
                    break;
                case "--report":
                    report = Value();
                    break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1)
                    {
                        problem = $"Unknown option '{name}'.";
                    }
                    else if (input is null)
                    {
                        input = arg;
                    }
                    else
                    {
                        problem = $"Unknown argument '{arg}': one file or folder is curated at a time.";
                    }

                    break;
            }
        }

        var request = new CurateRequest(input ?? "", model ?? "", output ?? "", quality, json, threads, parquet, shardMegabytes);
        if (problem is null && !help)
        {
            problem = input is null ? "Command 'curate' is missing required argument 'FILE_OR_FOLDER'." : request.Error();
        }

        error = problem;
        return new CurateArguments(request, help, report);
    }
}
