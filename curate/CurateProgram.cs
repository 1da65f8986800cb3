using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using GenAiServerless.Data;

namespace GenAiServerless.Curate;

/// <summary>The whole program: parse, curate with <see cref="FolderCuration"/>, and turn the expected failures into one
/// line and exit code 1 (a bug into its stack trace and 2), as <c>genai</c> does.</summary>
public static class CurateProgram
{
    const string Name = "genai-curate";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        CurateArguments arguments = CurateArguments.Parse(args, out string? problem);
        if (arguments.Help)
        {
            await output.WriteLineAsync(CurateArguments.Usage);
            return 0;
        }

        if (problem is not null)
        {
            await error.WriteLineAsync($"{Name}: {problem}");
            return 1;
        }

        int exit;
        try
        {
            exit = await FolderCuration.RunAsync(arguments.Request, output, error, cancellationToken);
        }
        catch (Exception e) when (Message(e) is { } message)
        {
            await error.WriteLineAsync($"{Name}: {message}");
            return 1;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"{Name}: {e}");
            return 2;
        }

        if (arguments.Report is { } report)
        {
            await File.WriteAllBytesAsync(report, JsonSerializer.SerializeToUtf8Bytes(ProcessReport.OfThisProcess(), ReportJson.Default.ProcessReport), cancellationToken);
        }

        return exit;
    }

    /// <summary>The one-line message of an expected failure (the cases of <c>genai</c>'s <c>CommandErrors</c> that a curate
    /// run can meet), or null for a bug.</summary>
    static string? Message(Exception exception) => exception switch
    {
        InvalidOperationException or FormatException => exception.Message,
        JsonException e => $"a file or answer the command read is not valid JSON: {e.Message}",
        IOException or UnauthorizedAccessException => exception.Message,
        _ => null,
    };
}

/// <summary>What the whole process cost, measured as it ends (hidden <c>--report</c>; bench <c>etl</c> reads it).</summary>
/// <param name="ProcessCpuSeconds">User and system CPU time of the process since it started.</param>
/// <param name="ProcessWallSeconds">Wall time since the process started.</param>
/// <param name="PeakWorkingSetBytes">Peak resident set (VmHWM on Linux).</param>
public sealed record ProcessReport(double ProcessCpuSeconds, double ProcessWallSeconds, long PeakWorkingSetBytes)
{
    public static ProcessReport OfThisProcess()
    {
        using var process = Process.GetCurrentProcess();
        return new(process.TotalProcessorTime.TotalSeconds, (DateTime.Now - process.StartTime).TotalSeconds, process.PeakWorkingSet64);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ProcessReport))]
sealed partial class ReportJson : JsonSerializerContext;
