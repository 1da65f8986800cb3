using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data;
using GenAiServerless.Data.Inputs;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench.Curate;

/// <summary><c>curate</c>: how fast the Data stage's per-shard step (<see cref="ShardCurator"/>, what every
/// <c>CurateDataShard</c> activity runs) curates JSONL, next to reading and parsing the same lines and nothing else.</summary>
public sealed class CurateCommand : Command<CurateCommand.Settings>
{
    const double Megabyte = BenchMeasure.Megabyte;
    const int Repetitions = 3;

    public sealed class Settings : CorpusSettings
    {
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        BenchOutput.Progress($"curate: generating a {settings.Megabytes} MB corpus (seed {settings.Seed})");
        var corpus = SyntheticCorpus.Generate((long)(settings.Megabytes * Megabyte), settings.Seed);
        string folder = Path.Combine(Path.GetTempPath(), $"genai-curate-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(Path.Combine(folder, "in"));
        using (Stream file = File.Create(Path.Combine(folder, "in", CorpusFile)))
        using (Stream source = corpus.Open())
        {
            source.CopyTo(file);
        }

        var startPeak = PeakWorkingSetMegabytes();

        // Parse first: the process's peak working set only grows, so the baseline's peak is not inflated by the curator's.
        Measurement parse, curate;
        try
        {
            parse = Measure("parse", corpus, _ => ParseOnly(folder));
            curate = Measure("curate", corpus, run => CurateOnly(folder, run));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        var report = new CurateReport(
            "curate",
            new CorpusReport(corpus.Length / Megabyte, corpus.Lines, corpus.ExactDuplicates, corpus.Malformed, corpus.VocabularySize, settings.Seed, startPeak),
            Repetitions,
            parse,
            curate,
            new CurateRatios(curate.MegabytesPerSecond / parse.MegabytesPerSecond, curate.CpuSeconds / parse.CpuSeconds));

        if (settings.Json)
        {
            BenchOutput.WriteJson(report);
        }
        else
        {
            Print(report);
        }

        return 0;
    }

    const string CorpusFile = "synthetic.jsonl";

    /// <summary>A warm-up, then the best (least wall time) of <see cref="Repetitions"/> runs over the whole corpus.</summary>
    static Measurement Measure(string name, SyntheticCorpus corpus, Func<int, Counts> body)
    {
        BenchOutput.Progress($"curate: {name}: warm-up");
        _ = BenchMeasure.Time(() => body(0));
        Measurement? best = null;
        for (var i = 1; i <= Repetitions; i++)
        {
            int run = i;
            var (seconds, cpuSeconds, allocated, counts) = BenchMeasure.Time(() => body(run));
            BenchOutput.Progress(string.Create(CultureInfo.InvariantCulture, $"curate: {name}: run {i}/{Repetitions}: {seconds:0.000} s"));
            if (best is null || seconds < best.WallSeconds)
            {
                var megabytes = corpus.Length / Megabyte;
                best = new Measurement(name, megabytes / seconds, counts.Read / seconds, seconds, cpuSeconds, megabytes / cpuSeconds,
                    allocated / Megabyte, 0, counts);
            }
        }

        return best! with { PeakWorkingSetMegabytes = PeakWorkingSetMegabytes() };
    }

    static double PeakWorkingSetMegabytes() => BenchMeasure.PeakWorkingSetMegabytes();

    /// <summary>The baseline: the stage's reader over the file (lines as UTF-8) and <c>JsonDocument.Parse</c> of each, nothing else.</summary>
    static Counts ParseOnly(string folder)
    {
        long read = 0, invalid = 0;
        using Stream stream = File.OpenRead(Path.Combine(folder, "in", CorpusFile));
        IAsyncEnumerable<SourceItem> items = InputReader.ReadAsync(CorpusFile, stream);
        foreach (SourceItem item in items.ToBlockingEnumerable())
        {
            read++;
            try
            {
                using var document = JsonDocument.Parse(((SourceRecord)item).Json);
            }
            catch (JsonException)
            {
                invalid++;
            }
        }

        return new Counts(read, Curated: 0, invalid, Filtered: 0);
    }

    /// <summary>The whole corpus as one shard through <see cref="ShardCurator"/>, with the <c>DataOptions</c> defaults
    /// (the <c>ShortRecords</c> preset); its working files go to a scratch folder. Exact and near duplicates are the
    /// fan-in's work, measured by <c>etl</c>.</summary>
    static Counts CurateOnly(string folder, int run)
    {
        long length = new FileInfo(Path.Combine(folder, "in", CorpusFile)).Length;
        var drop = new DropBlob(CorpusFile, "bench", length);
        var input = new DataPrepInput("bench", $"run-{run}", [drop], DataPolicies.For(new DataOptions(), "bench"));
        var store = new FolderDataStore(Path.Combine(folder, "in"), Path.Combine(folder, "out"));
        DataShardResult result = ShardCurator.RunAsync(store, new DataShardTask(DataShardTask.InputFor(input), new DataShard(0, 0, drop, 0, length, 1)), CancellationToken.None)
            .GetAwaiter().GetResult();
        Directory.Delete(Path.Combine(folder, "out"), recursive: true);
        if (result.FileError is not null)
        {
            throw new InvalidOperationException($"curate: the synthetic corpus was quarantined whole: {result.FileError}");
        }

        return new Counts(result.Records, result.Candidates, result.Rejected.Values.Sum(), result.Filtered.Values.Sum());
    }

    static void Print(CurateReport report)
    {
        var console = BenchOutput.Human;
        var c = report.Corpus;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"curate: corpus {c.Megabytes:0.0} MB, {c.Lines} lines ({c.ExactDuplicates} exact duplicates, {c.Malformed} malformed), vocabulary {c.VocabularySize} words, seed {c.Seed}; peak working set with the corpus loaded {c.PeakWorkingSetMegabytes:0} MB; best of {report.Repetitions} after a warm-up."));

        var table = new Table();
        table.AddColumns("Measurement", "MB/s", "docs/s", "Wall s", "CPU s", "MB per CPU-s", "Allocated MB", "Peak WS MB", "Read", "Curated", "Filtered", "Rejected");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }

        foreach (var m in new[] { report.Parse, report.Curate })
        {
            table.AddRow(
                m.Name == "parse" ? "read + parse only (baseline)" : "ShardCurator (one shard)",
                Figure(m.MegabytesPerSecond, "0.0"), Figure(m.DocsPerSecond, "#,0"), Figure(m.WallSeconds, "0.000"), Figure(m.CpuSeconds, "0.000"),
                Figure(m.MegabytesPerCpuSecond, "0.0"), Figure(m.AllocatedMegabytes, "#,0"), Figure(m.PeakWorkingSetMegabytes, "#,0"),
                Figure(m.Counts.Read, "#,0"), Figure(m.Counts.Curated, "#,0"), Figure(m.Counts.Filtered, "#,0"), Figure(m.Counts.Rejected, "#,0"));
        }

        console.Write(table);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"curate / parse: throughput {report.Ratios.Throughput:0.000}x, CPU seconds {report.Ratios.CpuSeconds:0.000}x."));
    }

    static string Figure(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>Records read, and what became of them (parse only: read and invalid).</summary>
internal sealed record Counts(long Read, long Curated, long Rejected, long Filtered);

internal sealed record Measurement(
    string Name, double MegabytesPerSecond, double DocsPerSecond, double WallSeconds, double CpuSeconds, double MegabytesPerCpuSecond,
    double AllocatedMegabytes, double PeakWorkingSetMegabytes, Counts Counts);

/// <param name="PeakWorkingSetMegabytes">The process's peak once the corpus is in memory, before any measurement.</param>
internal sealed record CorpusReport(double Megabytes, int Lines, int ExactDuplicates, int Malformed, int VocabularySize, int Seed, double PeakWorkingSetMegabytes);

internal sealed record CurateRatios(double Throughput, double CpuSeconds);

internal sealed record CurateReport(string Benchmark, CorpusReport Corpus, int Repetitions, Measurement Parse, Measurement Curate, CurateRatios Ratios);
