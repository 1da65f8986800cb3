using GenAiServerless.Local.Commands;

namespace GenAiServerless.Tests.Local.Stack;

public sealed class StackFileTests : IDisposable
{
    readonly string home = Directory.CreateTempSubdirectory("genai-stackfile-").FullName;

    public void Dispose() => Directory.Delete(home, recursive: true);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Write_HoldsConnectionString_OwnerOnly()
    {
        File.WriteAllText(Path.Combine(home, "stack.json"), "{}"); // an older, world-readable file is replaced
        StackFile.Write(home, new StackFile("http://127.0.0.1:7071/", "AccountKey=secret", 42));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(home, "stack.json")));
        Assert.Equal("AccountKey=secret", StackFile.Read(home).StorageConnectionString);
    }
}
