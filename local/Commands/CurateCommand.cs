using System.ComponentModel;
using GenAiServerless.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Local.Commands;

/// <summary><c>genai curate</c>: the Data stage alone, on local files, with no storage: the same curation, outputs,
/// manifest and data card as in the pipeline, written under <c>--out</c>. The work is <see cref="FolderCuration"/>'s,
/// shared with the ahead-of-time compiled <c>genai-curate</c> (curate/).</summary>
public sealed class CurateCommand : AsyncCommand<CurateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE_OR_FOLDER>")]
        [Description("A data file, or a folder of them (files and folders whose names start with '_' or '.' are markers or hidden and are skipped).")]
        public string Input { get; init; } = string.Empty;

        [CommandOption("--model <NAME>")]
        [Description("Model the data is for: names the output folder and the near-duplicate index it is checked against.")]
        public string Model { get; init; } = string.Empty;

        [CommandOption("--out <DIR>")]
        [Description("Output folder, outside the input folder: curated/ and quarantine/ are written below it.")]
        public string Out { get; init; } = string.Empty;

        [CommandOption("--quality <PRESET>")]
        [Description("ShortRecords (default), Documents or Off.")]
        [DefaultValue(DataQualityPresets.ShortRecords)]
        public string Quality { get; init; } = DataQualityPresets.ShortRecords;

        [CommandOption("--json")]
        [Description("Print the manifest (one JSON document) instead of a summary.")]
        public bool Json { get; init; }

        [CommandOption("--threads <N>")]
        [Description("Shards curated at once (default: the number of cores). The outputs are the same for any value.")]
        public int? Threads { get; init; }

        [CommandOption("--parquet")]
        [Description("Also write every curated JSONL file as Parquet beside it.")]
        public bool Parquet { get; init; }

        [CommandOption("--shard-mb <MB>")]
        [Description("Plain JSONL/CSV files larger than this are cut into byte-range shards (default 64).")]
        [DefaultValue(64)]
        public int ShardMegabytes { get; init; } = 64;

        /// <summary>The arguments as the shared curate function takes them.</summary>
        public CurateRequest ToRequest() => new(Input, Model, Out, Quality, Json, Threads, Parquet, ShardMegabytes);

        public override ValidationResult Validate() => ToRequest().Error() is { } error ? ValidationResult.Error(error) : ValidationResult.Success();
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken) =>
        FolderCuration.RunAsync(settings.ToRequest(), Console.Out, Console.Error, cancellationToken);
}
