using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;
using GenAiServerless.Data;
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

        [CommandOption("--warmup-mb <MB>")]
        [Description("First run the stage on the input's first MB (to a scratch folder), so the measured run is warm, as in a long-running host; -1 (default) = the whole input, 0 = no warm-up.")]
        [DefaultValue(-1)]
        public int WarmupMegabytes { get; init; } = -1;

        [CommandOption("--warmups <N>")]
        [Description("How many warm-up runs (each as --warmup-mb says) before the measured one.")]
        [DefaultValue(1)]
        public int Warmups { get; init; } = 1;

        [CommandOption("--quality <PRESET>")]
        [DefaultValue(DataQualityPresets.Documents)]
        public string Quality { get; init; } = DataQualityPresets.Documents;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The drop and run id as genai curate (and the native genai-curate) make them, so their outputs can be compared.
        FolderDrop folder = await FolderCuration.ScanAsync(settings.Input, cancellationToken);
        string root = folder.Root;
        List<DropBlob> drops = [.. folder.Drops];
        var input = new DataPrepInput(Model, folder.RunId, drops, DataPolicies.For(new DataOptions { QualityPreset = settings.Quality }, Model));
        for (int warmup = 0; warmup < settings.Warmups && settings.WarmupMegabytes != 0; warmup++)
        {
            await WarmUpAsync(drops, root, settings, input, cancellationToken);
        }

        using var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        TimeSpan pauseBefore = GC.GetTotalPauseDuration();
        int gen0Before = GC.CollectionCount(0), gen2Before = GC.CollectionCount(2);
        var clock = Stopwatch.StartNew();
        double shardPhasePeak = 0;
        DataPrepResult result = await DataStage.RunAsync(
            new FolderDataStore(root, Path.GetFullPath(settings.Out)), input, NullLogger.Instance, cancellationToken, settings.Threads,
            line =>
            {
                process.Refresh();
                double peakNow = process.PeakWorkingSet64 / BenchMeasure.Megabyte;
                if (line.StartsWith("shard ", StringComparison.Ordinal))
                {
                    shardPhasePeak = peakNow;
                }

                BenchOutput.Progress(string.Create(CultureInfo.InvariantCulture,
                    $"etl-stage: {clock.Elapsed.TotalSeconds:0.000} s, peak {peakNow:0} MB, GC heap {GC.GetTotalMemory(false) / BenchMeasure.Megabyte:0} MB: {line}"));
            });
        clock.Stop();
        process.Refresh();
        double peak = process.PeakWorkingSet64 / BenchMeasure.Megabyte;
        TimeSpan cpu = process.TotalProcessorTime - cpuBefore;

        var report = new EtlStageReport(
            drops.Sum(d => d.Length),
            clock.Elapsed.TotalSeconds,
            cpu.TotalSeconds,
            peak,
            settings.Threads,
            result.RecordsRead,
            result.RecordsCurated,
            result.RecordsQuarantined,
            result.RecordsFiltered,
            result.ExactDuplicates,
            result.NearDuplicates,
            await OutputsHashAsync(settings.Out, folder.RunId, cancellationToken),
            settings.WarmupMegabytes,
            shardPhasePeak,
            (GC.GetTotalPauseDuration() - pauseBefore).TotalSeconds,
            GC.CollectionCount(0) - gen0Before,
            GC.CollectionCount(2) - gen2Before,
            process.TotalProcessorTime.TotalSeconds,
            (DateTime.Now - process.StartTime).TotalSeconds,
            System.Runtime.JitInfo.GetCompilationTime().TotalSeconds,
            System.Runtime.JitInfo.GetCompiledMethodCount());
        Console.WriteLine(JsonSerializer.Serialize(report, BenchOutput.JsonOptions));
        return 0;
    }

    /// <summary>The model the stage curates for, here and in the native run of <c>etl</c>.</summary>
    public const string Model = "bench";

    /// <summary>Every output of run <paramref name="runId"/> under <paramref name="output"/>, by name and content: equal
    /// hashes mean byte-identical outputs.</summary>
    public static async Task<string> OutputsHashAsync(string output, string runId, CancellationToken cancellationToken)
    {
        var hash = new XxHash128();
        string curated = Path.Combine(Path.GetFullPath(output), "curated", Model, runId);
        string quarantine = Path.Combine(Path.GetFullPath(output), "quarantine", Model, runId);
        foreach (string file in new[] { curated, quarantine }.Where(Directory.Exists).SelectMany(d => Directory.GetFiles(d, "*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal))
        {
            hash.Append(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(output, file)));
            await using FileStream content = File.OpenRead(file);
            await hash.AppendAsync(content, cancellationToken);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>The first lines (about <see cref="Settings.WarmupMegabytes"/>, or all) of the first file, through the
    /// whole stage in a scratch folder that is deleted after.</summary>
    static async Task WarmUpAsync(List<DropBlob> drops, string root, Settings settings, DataPrepInput input, CancellationToken cancellationToken)
    {
        string scratch = Path.Combine(Path.GetFullPath(settings.Out), "_warmup");
        Directory.CreateDirectory(Path.Combine(scratch, "in"));
        long budget = settings.WarmupMegabytes < 0 ? long.MaxValue : settings.WarmupMegabytes * 1_000_000L;
        await using (var source = File.OpenRead(Path.Combine(root, drops[0].BlobName)))
        await using (var target = File.Create(Path.Combine(scratch, "in", "warmup.jsonl")))
        {
            using var reader = new StreamReader(source);
            await using var writer = new StreamWriter(target);
            while (budget > 0 && await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                await writer.WriteLineAsync(line);
                budget -= line.Length + 1;
            }
        }

        var warm = input with { Drops = [new DropBlob("warmup.jsonl", "warmup", new FileInfo(Path.Combine(scratch, "in", "warmup.jsonl")).Length)] };
        await DataStage.RunAsync(new FolderDataStore(Path.Combine(scratch, "in"), Path.Combine(scratch, "out")), warm, NullLogger.Instance, cancellationToken, settings.Threads);
        Directory.Delete(scratch, recursive: true);
    }
}

/// <summary>One whole-stage run, as the child process reports it.</summary>
/// <param name="WarmupMegabytes">MB of the input run through the stage first (JIT and tiering warm-up), not measured; −1 = all of it.</param>
/// <param name="ShardPhasePeakMegabytes">The process's peak working set when the last shard was curated (before the fan-in).</param>
/// <param name="ProcessCpuSeconds">CPU time of the whole process, from its start (runtime start-up, argument parsing, JIT,
/// warm-ups and the run): what a one-shot command costs.</param>
/// <param name="ProcessWallSeconds">Wall time from the process's start to the end of the run.</param>
/// <param name="JitSeconds">Time the JIT spent compiling, on every thread, over the whole process.</param>
internal sealed record EtlStageReport(
    long InputBytes, double WallSeconds, double CpuSeconds, double PeakWorkingSetMegabytes, int Threads,
    long Read, long Curated, long Quarantined, long Filtered, long ExactDuplicates, long NearDuplicates, string OutputsHash, int WarmupMegabytes,
    double ShardPhasePeakMegabytes,
    double GcPauseSeconds,
    int Gen0Collections,
    int Gen2Collections,
    double ProcessCpuSeconds,
    double ProcessWallSeconds,
    double JitSeconds,
    long JitMethods);
