using System.ComponentModel;
using System.Diagnostics;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench;

/// <summary>The options of the benchmarks that generate a synthetic corpus.</summary>
public class CorpusSettings : BenchSettings
{
    [CommandOption("--mb <MB>")]
    [Description("Size of the synthetic corpus in MB (10^6 bytes).")]
    [DefaultValue(50)]
    public int Megabytes { get; init; } = 50;

    [CommandOption("--seed <N>")]
    [Description("Seed of the synthetic corpus.")]
    [DefaultValue(42)]
    public int Seed { get; init; } = 42;

    public override ValidationResult Validate() =>
        Megabytes is < 1 or > 1000 ? ValidationResult.Error($"--mb must be between 1 and 1000 (was {Megabytes})") : ValidationResult.Success();
}

/// <summary>How every benchmark times a run: wall clock, CPU seconds of the process, bytes allocated, after a full GC.</summary>
internal static class BenchMeasure
{
    public const double Megabyte = 1_000_000;

    public static (double WallSeconds, double CpuSeconds, long AllocatedBytes, T Result) Time<T>(Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var result = body();
        clock.Stop();
        process.Refresh();
        return (clock.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpuBefore).TotalSeconds,
            GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, result);
    }

    /// <summary>The process's peak working set so far, in MB (it only grows).</summary>
    public static double PeakWorkingSetMegabytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / Megabyte;
    }
}
