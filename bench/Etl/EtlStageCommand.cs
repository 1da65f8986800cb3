using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench.Etl;

/// <summary><c>etl-stage</c> (hidden; run by <c>etl</c> in a child process so its peak memory is the stage's alone):
/// the whole Data stage on a folder, printing one JSON document of its CPU time, wall time, peak working set, counts
/// and a hash of every output file.</summary>
public sealed class EtlStageCommand : AsyncCommand<EtlStageCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<INPUT_DIR>")]
        public string Input { get; init; } = "";

        [CommandArgument(1, "<OUT_DIR>")]
        public string Out { get; init; } = "";

        [CommandOption("--threads <N>")]
        [DefaultValue(1)]
        public int Threads { get; init; } = 1;

        [CommandOption("--quality <PRESET>")]
        [DefaultValue(DataQualityPresets.Documents)]
        public string Quality { get; init; } = DataQualityPresets.Documents;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string root = Path.GetFullPath(settings.Input);
        List<DropBlob> drops = [.. Directory.GetFiles(root).Order(StringComparer.Ordinal).Select(f => new DropBlob(Path.GetFileName(f), "bench", new FileInfo(f).Length))];
        var input = new DataPrepInput("bench", "etl", drops, DataPolicies.For(new DataOptions { QualityPreset = settings.Quality }, "bench"));
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        double shardPhasePeak = 0;
        DataPrepResult result = await DataStage.RunAsync(
            new FolderDataStore(root, Path.GetFullPath(settings.Out)), input, NullLogger.Instance, cancellationToken, settings.Threads,
            line =>
            {
                process.Refresh();
                shardPhasePeak = process.PeakWorkingSet64 / BenchMeasure.Megabyte;
                BenchOutput.Progress(string.Create(CultureInfo.InvariantCulture,
                    $"etl-stage: {clock.Elapsed.TotalSeconds:0.000} s, peak {shardPhasePeak:0} MB, GC heap {GC.GetTotalMemory(false) / BenchMeasure.Megabyte:0} MB: {line}"));
            });
        clock.Stop();
        process.Refresh();

        // Every output of the run, by name and content: equal hashes mean byte-identical outputs.
        var hash = new XxHash128();
        string curated = Path.Combine(Path.GetFullPath(settings.Out), "curated", "bench", "etl");
        string quarantine = Path.Combine(Path.GetFullPath(settings.Out), "quarantine", "bench", "etl");
        foreach (string file in new[] { curated, quarantine }.Where(Directory.Exists).SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal))
        {
            hash.Append(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(settings.Out, file)));
            hash.Append(await File.ReadAllBytesAsync(file, cancellationToken));
        }

        var report = new EtlStageReport(
            drops.Sum(d => d.Length),
            clock.Elapsed.TotalSeconds,
            (process.TotalProcessorTime - cpuBefore).TotalSeconds,
            process.PeakWorkingSet64 / BenchMeasure.Megabyte,
            settings.Threads,
            result.RecordsRead,
            result.RecordsCurated,
            result.RecordsQuarantined,
            result.RecordsFiltered,
            result.ExactDuplicates,
            result.NearDuplicates,
            Convert.ToHexStringLower(hash.GetCurrentHash()));
        Console.WriteLine(JsonSerializer.Serialize(report, BenchOutput.JsonOptions));
        return 0;
    }
}

/// <summary>One whole-stage run, as the child process reports it.</summary>
internal sealed record EtlStageReport(
    long InputBytes, double WallSeconds, double CpuSeconds, double PeakWorkingSetMegabytes, int Threads,
    long Read, long Curated, long Quarantined, long Filtered, long ExactDuplicates, long NearDuplicates, string OutputsHash);
