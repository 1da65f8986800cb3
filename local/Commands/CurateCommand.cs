using System.ComponentModel;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Local.Commands;

/// <summary><c>genai curate</c>: the Data stage alone, on local files, with no storage: the same curation, outputs,
/// manifest and data card as in the pipeline, written under <c>--out</c>.</summary>
public sealed class CurateCommand : AsyncCommand<CurateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<FILE_OR_FOLDER>")]
        [Description("A data file, or a folder of them (names starting with '_' or '.' are markers and are skipped).")]
        public string Input { get; init; } = string.Empty;

        [CommandOption("--model <NAME>")]
        [Description("Model the data is for: names the output folder and the near-duplicate index it is checked against.")]
        public string Model { get; init; } = string.Empty;

        [CommandOption("--out <DIR>")]
        [Description("Output folder: curated/ and quarantine/ are written below it.")]
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

        public override ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Model) ? ValidationResult.Error("--model is required")
            : !PipelineOptions.ModelName().IsMatch(Model) ? ValidationResult.Error($"--model '{Model}': lower-case letters, digits and dashes")
            : string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out is required")
            : !File.Exists(Input) && !Directory.Exists(Input) ? ValidationResult.Error($"'{Input}' is neither a file nor a folder")
            : !DataQualityPresets.All.Contains(Quality) ? ValidationResult.Error($"--quality: use one of {string.Join(", ", DataQualityPresets.All)}")
            : Threads is < 1 ? ValidationResult.Error("--threads: at least 1")
            : ShardMegabytes < 1 ? ValidationResult.Error("--shard-mb: at least 1")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string root = Directory.Exists(settings.Input) ? Path.GetFullPath(settings.Input) : Path.GetDirectoryName(Path.GetFullPath(settings.Input))!;
        IEnumerable<string> files = Directory.Exists(settings.Input)
            ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith('_') && !Path.GetFileName(f).StartsWith('.'))
            : [Path.GetFullPath(settings.Input)];
        var drops = new List<DropBlob>();
        foreach (string f in files.Order(StringComparer.Ordinal))
        {
            // A local file's "ETag" is a hash of its content, so a rerun over the same bytes is the same run.
            await using FileStream stream = File.OpenRead(f);
            byte[] hash = await XxHash128Async(stream, cancellationToken);
            drops.Add(new DropBlob(Path.GetRelativePath(root, f).Replace('\\', '/'), Convert.ToHexStringLower(hash), stream.Length));
        }

        if (drops.Count == 0)
        {
            Console.Error.WriteLine($"nothing to curate: '{settings.Input}' holds no data files");
            return 1;
        }

        string runId = "curate-" + XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join('|', drops.Select(d => $"{d.BlobName}:{d.ETag}")))).ToString("x16", CultureInfo.InvariantCulture);
        var defaults = new DataOptions { QualityPreset = settings.Quality, ShardBytes = settings.ShardMegabytes * 1024L * 1024, ParquetOutput = settings.Parquet };
        var input = new DataPrepInput(settings.Model, runId, drops, DataPolicies.For(defaults, settings.Model));
        Action<string>? progress = settings.Json ? null : line => Console.Error.WriteLine(line);
        DataPrepResult result = await DataStage.RunAsync(
            new FolderDataStore(root, Path.GetFullPath(settings.Out)), input, NullLogger.Instance, cancellationToken, settings.Threads ?? Environment.ProcessorCount, progress);

        string manifest = Path.Combine(Path.GetFullPath(settings.Out), result.ManifestBlob.Replace('/', Path.DirectorySeparatorChar));
        if (settings.Json)
        {
            Console.WriteLine(await File.ReadAllTextAsync(manifest, cancellationToken));
        }
        else
        {
            AnsiConsole.MarkupLine(Markup.Escape(
                $"{result.RecordsRead} records read from {drops.Count} file(s): {result.RecordsCurated} curated ({result.TrainRecords}/{result.ValidationRecords}/{result.TestRecords} train/validation/test), "
                + $"{result.RecordsQuarantined} quarantined, {result.RecordsFiltered} filtered, {result.ExactDuplicates} exact and {result.NearDuplicates} near duplicates dropped, {result.QuarantinedFiles.Count} bad file(s)"));
            foreach (string bad in result.QuarantinedFiles)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"  bad file: {bad}"));
            }

            AnsiConsole.MarkupLine(Markup.Escape($"manifest: {manifest}"));
            AnsiConsole.MarkupLine(Markup.Escape($"data card: {Path.Combine(Path.GetDirectoryName(manifest)!, "datacard.md")}"));
        }

        return result.RecordsCurated > 0 ? 0 : 1;
    }

    static async Task<byte[]> XxHash128Async(Stream stream, CancellationToken cancellationToken)
    {
        var hasher = new XxHash128();
        await hasher.AppendAsync(stream, cancellationToken);
        return hasher.GetHashAndReset();
    }
}
