using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using GenAiServerless.Data;
using GenAiServerless.Pipeline;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench.Curate;

/// <summary><c>curate</c>: how fast the Data stage's core curates JSONL, next to parsing the same lines and nothing else.</summary>
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
        var startPeak = PeakWorkingSetMegabytes();

        // Parse first: the process's peak working set only grows, so the baseline's peak is not inflated by the curator's.
        var parse = Measure("parse", corpus, ParseOnly);
        var curate = Measure("curate", corpus, CurateOnly);
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

    /// <summary>A warm-up, then the best (least wall time) of <see cref="Repetitions"/> runs over the whole corpus.</summary>
    static Measurement Measure(string name, SyntheticCorpus corpus, Func<TextReader, Counts> body)
    {
        BenchOutput.Progress($"curate: {name}: warm-up");
        _ = Run(corpus, body);
        Measurement? best = null;
        for (var i = 1; i <= Repetitions; i++)
        {
            var (seconds, cpuSeconds, allocated, counts) = Run(corpus, body);
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

    static (double Seconds, double CpuSeconds, long Allocated, Counts Counts) Run(SyntheticCorpus corpus, Func<TextReader, Counts> body) =>
        BenchMeasure.Time(() =>
        {
            // The reader the Data stage opens on a blob: strict UTF-8 over a stream.
            using var reader = new StreamReader(corpus.Open(), new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
            return body(reader);
        });

    static Counts ParseOnly(TextReader reader)
    {
        long read = 0, invalid = 0;
        while (reader.ReadLine() is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            read++;
            try
            {
                using var document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                invalid++;
            }
        }

        return new Counts(read, Curated: 0, invalid, Duplicates: 0);
    }

    static Counts CurateOnly(TextReader reader)
    {
        var policy = new DataOptions();
        var curator = new RecordCurator(policy.ValidationFraction, policy.TestFraction, policy.MaxRecordChars);
        long curated = 0, rejected = 0, duplicates = 0;
        var failed = curator.CurateFile("synthetic.jsonl", reader, _ => curated++, _ => rejected++, (_, _) => duplicates++);
        if (failed is not null)
        {
            throw new InvalidOperationException($"curate: the synthetic corpus was quarantined whole: {failed.Reason}");
        }

        return new Counts(curator.RecordsRead, curated, rejected, duplicates);
    }

    static void Print(CurateReport report)
    {
        var console = BenchOutput.Human;
        var c = report.Corpus;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"curate: corpus {c.Megabytes:0.0} MB, {c.Lines} lines ({c.ExactDuplicates} exact duplicates, {c.Malformed} malformed), vocabulary {c.VocabularySize} words, seed {c.Seed}; peak working set with the corpus loaded {c.PeakWorkingSetMegabytes:0} MB; best of {report.Repetitions} after a warm-up."));

        var table = new Table();
        table.AddColumns("Measurement", "MB/s", "docs/s", "Wall s", "CPU s", "MB per CPU-s", "Allocated MB", "Peak WS MB", "Read", "Curated", "Duplicates", "Rejected");
        foreach (var column in table.Columns.Skip(1))
        {
            column.RightAligned();
        }

        foreach (var m in new[] { report.Parse, report.Curate })
        {
            table.AddRow(
                m.Name == "parse" ? "parse only (baseline)" : "RecordCurator.CurateFile",
                Figure(m.MegabytesPerSecond, "0.0"), Figure(m.DocsPerSecond, "#,0"), Figure(m.WallSeconds, "0.000"), Figure(m.CpuSeconds, "0.000"),
                Figure(m.MegabytesPerCpuSecond, "0.0"), Figure(m.AllocatedMegabytes, "#,0"), Figure(m.PeakWorkingSetMegabytes, "#,0"),
                Figure(m.Counts.Read, "#,0"), Figure(m.Counts.Curated, "#,0"), Figure(m.Counts.Duplicates, "#,0"), Figure(m.Counts.Rejected, "#,0"));
        }

        console.Write(table);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"curate / parse: throughput {report.Ratios.Throughput:0.000}x, CPU seconds {report.Ratios.CpuSeconds:0.000}x."));
    }

    static string Figure(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary>Records read, and what became of them (parse only: read and invalid).</summary>
internal sealed record Counts(long Read, long Curated, long Rejected, long Duplicates);

internal sealed record Measurement(
    string Name, double MegabytesPerSecond, double DocsPerSecond, double WallSeconds, double CpuSeconds, double MegabytesPerCpuSecond,
    double AllocatedMegabytes, double PeakWorkingSetMegabytes, Counts Counts);

/// <param name="PeakWorkingSetMegabytes">The process's peak once the corpus is in memory, before any measurement.</param>
internal sealed record CorpusReport(double Megabytes, int Lines, int ExactDuplicates, int Malformed, int VocabularySize, int Seed, double PeakWorkingSetMegabytes);

internal sealed record CurateRatios(double Throughput, double CpuSeconds);

internal sealed record CurateReport(string Benchmark, CorpusReport Corpus, int Repetitions, Measurement Parse, Measurement Curate, CurateRatios Ratios);
