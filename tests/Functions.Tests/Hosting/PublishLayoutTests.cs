using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using GenAiServerless.Training.Components;

namespace GenAiServerless.Tests.Functions.Hosting;

/// <summary>What the Functions publish puts in <c>components/</c>, the folder that goes to Azure ML as the code asset: the
/// n-gram trainer self-contained for linux-x64 under <c>ngram/</c> with <c>genai-trainer.sh</c>, <c>causal_lm/</c> and
/// <c>score.py</c>, so the shipped components' commands find what they run.</summary>
/// <remarks>A real <c>dotnet publish</c> of the app takes minutes here (ReadyToRun plus a self-contained trainer), too
/// slow for a test. These tests read the publish target (<c>PublishSelfContainedTrainerComponent</c> in the functions
/// project) and evaluate, with MSBuild, the item list it copies and the trainer project under the properties it passes:
/// a second of evaluation, no build. The publish itself was checked by hand (see trainer/README.md).</remarks>
public sealed class PublishLayoutTests
{
    const string FunctionsProject = "functions/GenAiServerless.Functions.csproj";
    const string TrainerProject = "trainer/GenAiServerless.Trainer.csproj";
    const string Target = "PublishSelfContainedTrainerComponent";

    static readonly string Root = RepositoryRoot();

    [Fact]
    public void PublishTarget_RunsAfterPublish_AndPublishesTheTrainerSelfContainedIntoComponentsNgram()
    {
        (XElement target, XElement msbuild, _) = PublishTarget();
        Dictionary<string, string> properties = TaskProperties(msbuild);

        Assert.Equal("Publish", (string?)target.Attribute("AfterTargets"));
        Assert.Equal("../" + TrainerProject, (string?)msbuild.Attribute("Projects"));
        Assert.Equal("Publish", (string?)msbuild.Attribute("Targets"));
        Assert.Equal("linux-x64", properties["RuntimeIdentifier"]);
        Assert.Equal("true", properties["SelfContained"]);
        Assert.EndsWith("components/ngram/", properties["PublishDir"], StringComparison.Ordinal);
    }

    [Fact]
    public void TrainerUnderThePublishProperties_IsASelfContainedLinuxAppHostWithoutIcu()
    {
        (_, XElement msbuild, _) = PublishTarget();
        Dictionary<string, string> properties = TaskProperties(msbuild);
        var given = properties.Where(p => p.Key is not "PublishDir" and not "Configuration")
            .Select(p => $"-p:{p.Key}={p.Value}").Append("-p:Configuration=Release");

        JsonElement evaluated = Evaluate(TrainerProject, given.Concat(new[] { "-getProperty:AssemblyName", "-getProperty:SelfContained", "-getProperty:UseAppHost", "-getProperty:RuntimeIdentifier", "-getProperty:InvariantGlobalization" }))
            .GetProperty("Properties");

        // genai-trainer.sh runs "$here/genai-trainer": the app host of a self-contained build, which needs no .NET on
        // the curated image, and (invariant globalization) no libicu either.
        Assert.Equal("genai-trainer", evaluated.GetProperty("AssemblyName").GetString());
        Assert.Equal("true", evaluated.GetProperty("SelfContained").GetString());
        Assert.NotEqual("false", evaluated.GetProperty("UseAppHost").GetString());
        Assert.Equal("linux-x64", evaluated.GetProperty("RuntimeIdentifier").GetString());
        Assert.Equal("true", evaluated.GetProperty("InvariantGlobalization").GetString());
        Assert.Contains("exe=\"$here/genai-trainer\"", File.ReadAllText(Path.Combine(Root, "trainer", "serving", "genai-trainer.sh")), StringComparison.Ordinal);
    }

    [Fact]
    public void ComponentSources_CopiedByThePublish_CoverScriptPythonPackageAndScoring()
    {
        (_, _, XElement copy) = PublishTarget();
        List<(string Source, string ComponentPath)> items = Evaluate(FunctionsProject, ["-p:Configuration=Release", "-getItem:TrainingComponentSource"])
            .GetProperty("Items").GetProperty("TrainingComponentSource").EnumerateArray()
            .Select(item => (item.GetProperty("FullPath").GetString()!, item.GetProperty("ComponentPath").GetString()!))
            .ToList();
        var paths = items.Select(item => item.ComponentPath).ToHashSet(StringComparer.Ordinal);

        Assert.Equal("@(TrainingComponentSource)", (string?)copy.Attribute("SourceFiles"));
        Assert.Equal("@(TrainingComponentSource->'$(PublishDir)components/%(ComponentPath)')", (string?)copy.Attribute("DestinationFiles"));
        Assert.All(items, item => Assert.True(File.Exists(item.Source), $"{item.Source} is listed but missing"));
        Assert.Contains("score.py", paths);
        Assert.Contains("ngram/genai-trainer.sh", paths);
        Assert.Contains("causal_lm/__main__.py", paths);
        Assert.Contains("causal_lm/__init__.py", paths);
        // Every .py of the package goes, so `python -m causal_lm` imports nothing that stays behind.
        var package = Directory.GetFiles(Path.Combine(Root, "trainer", "pytorch", "causal_lm"), "*.py", SearchOption.AllDirectories)
            .Select(file => "causal_lm/" + Path.GetRelativePath(Path.Combine(Root, "trainer", "pytorch", "causal_lm"), file).Replace('\\', '/'));
        Assert.All(package, file => Assert.Contains(file, paths));
    }

    [Fact]
    public void ShippedComponents_RunOnlyWhatTheLayoutHolds()
    {
        var paths = Evaluate(FunctionsProject, ["-p:Configuration=Release", "-getItem:TrainingComponentSource"])
            .GetProperty("Items").GetProperty("TrainingComponentSource").EnumerateArray()
            .Select(item => item.GetProperty("ComponentPath").GetString()!)
            .ToHashSet(StringComparer.Ordinal);

        foreach ((string name, TrainingComponent component) in TrainingComponents.BuiltIn)
        {
            foreach (string command in new[] { component.TrainCommand, component.EvaluateCommand })
            {
                string[] words = command.Split(' ');
                string needed = words[0] switch
                {
                    "sh" => words[1],
                    "python" when words[1] == "-m" => $"{words[2]}/__main__.py",
                    _ => throw new Xunit.Sdk.XunitException($"component {name}: no layout rule for '{command}'"),
                };
                Assert.True(paths.Contains(needed), $"component {name} runs '{command}', but the code asset has no {needed}");
            }
        }
    }

    static (XElement Target, XElement MSBuild, XElement Copy) PublishTarget()
    {
        XDocument project = XDocument.Load(Path.Combine(Root, FunctionsProject));
        XElement target = project.Root!.Elements("Target").Single(t => (string?)t.Attribute("Name") == Target);
        return (target, target.Elements("MSBuild").Single(), target.Elements("Copy").Single());
    }

    static Dictionary<string, string> TaskProperties(XElement msbuild) =>
        ((string?)msbuild.Attribute("Properties") ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);

    /// <summary><c>dotnet msbuild -getProperty/-getItem</c>: evaluation only, nothing is built.</summary>
    static JsonElement Evaluate(string project, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root };
        start.ArgumentList.Add("msbuild");
        start.ArgumentList.Add(Path.Combine(Root, project));
        start.ArgumentList.Add("-nologo");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet msbuild {project} failed ({process.ExitCode}): {output}{error.Result}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, FunctionsProject)))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds {FunctionsProject}.");
    }
}
