using System.Diagnostics;
using GenAiServerless.Local.Training;

namespace GenAiServerless.Tests.Local.Training;

/// <summary>Whether the jobs' Python (<see cref="LocalJobOptions.DefaultPython"/>) can run the PyTorch trainer here.</summary>
internal static class JobsPython
{
    static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Why it cannot import torch, or null when it can: the skip reason of the tests that need it.</summary>
    public static string? WhyTorchIsMissing => Missing.Value;

    static string? Probe()
    {
        string python = LocalJobOptions.DefaultPython;
        var psi = new ProcessStartInfo(python, ["-c", "import torch"]) { RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {python}");
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0
                ? null
                : $"{python} cannot import torch, which the PyTorch trainer needs (apt-get install python3-torch; .ci/run does): {stderr.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{python} cannot be started: {e.Message}";
        }
    }
}
