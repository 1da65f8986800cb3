using System.Reflection;

namespace GenAiServerless.Tests.Functions.Durable;

/// <summary>Finds the <c>functions.metadata</c> the Worker SDK wrote when it built the functions project.</summary>
/// <remarks>The SDK writes it to the functions project's <c>obj/</c> and adds it to that project's copy-to-output
/// items, so it lands in <c>functions/bin/{Configuration}/net10.0/</c> and, through the project reference, beside this
/// test assembly too. The copy here is the one built with the assembly under test; the other is the fallback.</remarks>
static class FunctionsMetadataFile
{
    const string FileName = "functions.metadata";
    const string ProjectFile = "functions/GenAiServerless.Functions.csproj";

    public static string Locate()
    {
        string besideTests = Path.Combine(AppContext.BaseDirectory, FileName);
        if (File.Exists(besideTests))
        {
            return besideTests;
        }

        string configuration = typeof(FunctionsMetadataFile).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string inProject = Path.Combine(RepositoryRoot(), "functions", "bin", configuration, "net10.0", FileName);
        return File.Exists(inProject)
            ? inProject
            : throw new FileNotFoundException(
                $"{FileName} is neither at {besideTests} nor at {inProject}: build the functions project in {configuration} first.", inProject);
    }

    static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, ProjectFile)))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds {ProjectFile}.");
    }
}
