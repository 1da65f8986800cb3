using System.Text.Json;
using GenAiServerless.Api;
using GenAiServerless.Local.Stack;

namespace GenAiServerless.Local.Commands;

/// <summary>What a running <c>genai up</c> tells the other commands: where its API and storage are.</summary>
public sealed record StackFile(string ApiBase, string StorageConnectionString, int Pid)
{
    /// <summary>A client of the running stack's API that presents a token with <paramref name="role"/> for the
    /// current user, signed with the stack's key (so the commands need no token of their own).</summary>
    public static HttpClient ApiClient(ApiRole role, string? home = null)
    {
        home ??= StackHome.Default();
        StackFile stack = Read(home);
        string token = LocalApiTokens.OpenOrCreate(home).Issue(Environment.UserName, [role], TimeSpan.FromMinutes(5));
        var http = new HttpClient { BaseAddress = new Uri(stack.ApiBase) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

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
