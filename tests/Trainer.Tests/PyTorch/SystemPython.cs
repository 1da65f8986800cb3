using System.Diagnostics;

namespace GenAiServerless.Tests.Trainer.PyTorch;

/// <summary>The Python the PyTorch trainer runs on here: Debian's <c>/usr/bin/python3</c>, where <c>python3-torch</c>
/// installs (the <c>python3</c> first on a developer's PATH may be another build without torch).</summary>
internal static class SystemPython
{
    public const string Path = "/usr/bin/python3";

    static readonly Lazy<string?> Missing = new(FindWhatIsMissing);

    /// <summary>Why the trainer cannot run here (no Python, no torch), or null when it can.</summary>
    public static string? WhyNotAvailable => Missing.Value;

    static string? FindWhatIsMissing()
    {
        if (!File.Exists(Path))
        {
            return $"{Path} does not exist: install python3 and python3-torch (apt-get install python3-torch; .ci/run does)";
        }

        ProcessResult probe = Run(["-c", "import torch; print(torch.__version__)"], Environment.CurrentDirectory, TimeSpan.FromMinutes(2));
        return probe.ExitCode == 0
            ? null
            : $"{Path} cannot import torch (exit {probe.ExitCode}): install python3-torch (apt-get install python3-torch; .ci/run does). {probe.Stderr.Trim()}";
    }

    /// <summary>Runs <c>/usr/bin/python3 args…</c> in <paramref name="workingDirectory"/>, killing it (and its children)
    /// after <paramref name="timeout"/>.</summary>
    public static ProcessResult Run(IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(Path)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        // Output unbuffered, and no user site or PYTHONPATH of the caller's shell leaking in.
        psi.Environment["PYTHONUNBUFFERED"] = "1";
        psi.Environment["PYTHONNOUSERSITE"] = "1";
        psi.Environment.Remove("PYTHONPATH");
        psi.Environment.Remove("PYTHONHOME");
        using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {Path}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ProcessResult(-1, stdout.Result, stderr.Result + $"\n(killed after {timeout.TotalSeconds:F0} s)");
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

/// <summary>What a finished child process left: its exit code and its two streams.</summary>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);
