namespace GenAiServerless.Local.Stack;

/// <summary>The project-local folder where the stack keeps Azurite, its data, jobs and endpoint files (<c>.genai/</c>
/// at the repository root, or under the current directory when run outside a checkout).</summary>
public static class StackHome
{
    public static string Default()
    {
        string? env = Environment.GetEnvironmentVariable("GENAI_HOME");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return Path.GetFullPath(env);
        }

        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "GenAiServerless.sln")))
            {
                return Path.Combine(d.FullName, ".genai");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), ".genai");
    }
}
