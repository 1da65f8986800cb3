using System.ComponentModel;
using System.Text.Json;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenAiServerless.Bench;

/// <summary>The options every benchmark takes.</summary>
public class BenchSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Print exactly one JSON document of the figures on stdout; progress goes to stderr.")]
    public bool Json { get; init; }
}

/// <summary>Where a benchmark's figures and progress go: tables or one JSON document on stdout, progress on stderr.</summary>
internal static class BenchOutput
{
    /// <summary>Exit code of a usage error (unknown benchmark, bad option), as shells expect.</summary>
    public const int UsageError = 2;

    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    static readonly IAnsiConsole Error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Figures for people: wide enough for the tables even when stdout is a file or a pipe.</summary>
    public static IAnsiConsole Human { get; } = CreateHuman();

    public static void Progress(string line) => Console.Error.WriteLine(line);

    public static void WriteJson<T>(T document) => Console.Out.WriteLine(JsonSerializer.Serialize(document, JsonOptions));

    /// <summary>Parse errors (an unknown benchmark, a bad option) exit with <see cref="UsageError"/>; failures with 1.</summary>
    public static int HandleError(Exception exception, ITypeResolver? resolver)
    {
        if (exception is CommandAppException { Pretty: { } pretty })
        {
            Error.Write(pretty);
        }
        else
        {
            Error.MarkupLine($"[red]error:[/] {Markup.Escape(exception.Message)}");
        }

        if (exception is CommandParseException or CommandRuntimeException)
        {
            Error.MarkupLine("Run with [bold]--help[/] to list the benchmarks.");
            return UsageError;
        }

        return 1;
    }

    static IAnsiConsole CreateHuman()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 160;
        }

        return console;
    }
}
