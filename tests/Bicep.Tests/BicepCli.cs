using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace GenAiServerless.Tests.Bicep;

/// <summary>The pinned Bicep CLI from the NuGet packages folder, run as a child process.</summary>
internal sealed class BicepCli
{
    private const string PackageId = "azure.bicep.commandline.linux-x64";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private BicepCli(string executablePath) => ExecutablePath = executablePath;

    /// <summary>Absolute path of the bicep executable.</summary>
    public string ExecutablePath { get; }

    /// <summary>Finds the CLI restored by <c>PackageDownload</c> and makes sure it may be executed.</summary>
    public static BicepCli Locate()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.OSArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException(
                $"The Bicep tests use the {PackageId} package and need linux-x64, not {RuntimeInformation.RuntimeIdentifier}.");
        }

        var version = AssemblyMetadata("BicepCliVersion")
            ?? throw new InvalidOperationException("Assembly metadata BicepCliVersion is missing; see Bicep.Tests.csproj.");
        var candidates = PackageRoots()
            .Select(root => Path.Combine(root, PackageId, version, "tools", "bicep"))
            .ToList();
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                $"Bicep CLI {version} not found; run 'dotnet restore tests/Bicep.Tests'. Looked in: {string.Join(", ", candidates)}");

        // NuGet extraction does not always keep the execute bit.
        var mode = File.GetUnixFileMode(path);
        if (!mode.HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return new BicepCli(path);
    }

    /// <summary>Runs the CLI with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public async Task<CliResult> RunAsync(string workingDirectory, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start {ExecutablePath}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within {Timeout}.");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private static IEnumerable<string> PackageRoots()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            yield return fromEnvironment;
        }

        // The folder restore actually used, recorded at build time.
        var fromBuild = AssemblyMetadata("NuGetPackageRoot");
        if (!string.IsNullOrWhiteSpace(fromBuild))
        {
            yield return fromBuild;
        }

        yield return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    private static string? AssemblyMetadata(string key) =>
        typeof(BicepCli).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value;
}

/// <summary>Exit code and captured output of one CLI run.</summary>
internal sealed record CliResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Diagnostic lines (warnings and errors) in either stream.</summary>
    public IReadOnlyList<string> Diagnostics =>
        (StandardError + "\n" + StandardOutput)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Contains(" : Warning ", StringComparison.Ordinal)
                || line.Contains(" : Error ", StringComparison.Ordinal)
                || line.StartsWith("Warning", StringComparison.Ordinal)
                || line.StartsWith("Error", StringComparison.Ordinal))
            .ToList();
}
