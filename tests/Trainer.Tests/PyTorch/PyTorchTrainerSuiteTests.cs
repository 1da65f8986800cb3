using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace GenAiServerless.Tests.Trainer.PyTorch;

/// <summary>The PyTorch trainer's own unittest suite (<c>trainer/pytorch/tests</c>), one xUnit case per test module,
/// run with <c>/usr/bin/python3 -m unittest</c> as its README says, so <c>dotnet test</c> (and CI) runs it too.
/// Skipped, saying why, where <c>/usr/bin/python3</c> cannot import torch.</summary>
/// <remarks>Alone in a non-parallel collection: the modules train real models on every core, and one of them checks
/// the transformer demo's time budget.</remarks>
[Collection(PyTorchTestGroup.Name)]
[Trait("Category", "Slow")]
public sealed partial class PyTorchTrainerSuiteTests(ITestOutputHelper output)
{
    static readonly TimeSpan ModuleTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Every <c>test_*.py</c> module of the suite, found when the tests are discovered.</summary>
    public static TheoryData<string> Modules()
    {
        var modules = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(PackageRoot(), "tests"), "test_*.py").Order(StringComparer.Ordinal))
        {
            modules.Add(Path.GetFileNameWithoutExtension(file));
        }

        return modules;
    }

    [Fact]
    public void Suite_HasTestModules()
    {
        // A moved folder would otherwise leave the theory below with no case, which passes silently.
        Assert.NotEmpty(Modules());
    }

    [SkippableTheory]
    [MemberData(nameof(Modules))]
    public void Module_RunByUnittest_Passes(string module)
    {
        Skip.If(SystemPython.WhyNotAvailable is not null, SystemPython.WhyNotAvailable);

        ProcessResult run = SystemPython.Run(["-m", "unittest", "discover", "-s", "tests", "-p", $"{module}.py", "-v"], PackageRoot(), ModuleTimeout);

        // unittest writes its verbose report and the failures' tracebacks to stderr.
        output.WriteLine(run.Stderr);
        output.WriteLine(run.Stdout);
        Assert.True(run.ExitCode == 0, $"python3 -m unittest {module} exited {run.ExitCode}:\n{Tail(run.Stderr, 6000)}");
        Match ran = RanLine().Match(run.Stderr);
        Assert.True(ran.Success && int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            $"python3 -m unittest {module} ran no test:\n{Tail(run.Stderr, 2000)}");
    }

    static string Tail(string text, int length) => text.Length <= length ? text : "…" + text[^length..];

    /// <summary><c>trainer/pytorch</c>, the folder the suite runs in (<c>causal_lm</c> beside <c>tests</c>).</summary>
    internal static string PackageRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "GenAiServerless.sln")))
            {
                return Path.Combine(d.FullName, "trainer", "pytorch");
            }
        }

        throw new InvalidOperationException($"no folder above {AppContext.BaseDirectory} holds GenAiServerless.sln");
    }

    [GeneratedRegex(@"^Ran (\d+) tests? in ", RegexOptions.Multiline)]
    private static partial Regex RanLine();
}

/// <summary>The PyTorch suite runs with no other test of this assembly beside it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PyTorchTestGroup
{
    public const string Name = "PyTorch trainer";
}
