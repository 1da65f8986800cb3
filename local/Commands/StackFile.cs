using System.Text.Json;
using GenAiServerless.Local.Stack;

namespace GenAiServerless.Local.Commands;

/// <summary>What a running <c>genai up</c> tells the other commands: where its API and storage are.</summary>
public sealed record StackFile(string ApiBase, string StorageConnectionString, int Pid)
{
    static string PathIn(string home) => Path.Combine(home, "stack.json");

    /// <summary>Writes the file readable by its owner only (it holds the storage connection string), atomically.</summary>
    public static void Write(string home, StackFile file)
    {
        string path = PathIn(home), temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, file);
        }

        File.Move(temporary, path, overwrite: true);
    }

    public static void Delete(string home) => File.Delete(PathIn(home));

    /// <summary>Reads the file of a running stack, or explains how to start one.</summary>
    public static StackFile Read(string? home = null)
    {
        string path = PathIn(home ?? StackHome.Default());
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"no running stack found ({path} is missing): start one with `dotnet run --project local -- up`");
        }

        return JsonSerializer.Deserialize<StackFile>(File.ReadAllText(path))!;
    }
}
