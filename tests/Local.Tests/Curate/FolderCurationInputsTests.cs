using System.Diagnostics;
using GenAiServerless.Data;

namespace GenAiServerless.Tests.Local.Curate;

/// <summary>What a local curate takes as input: which files of a folder are data, names as Linux spells them, an output
/// folder that must not be read back, and streams that cannot be read twice.</summary>
public sealed class FolderCurationInputsTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"genai-inputs-{Guid.NewGuid():N}");

    public FolderCurationInputsTests() => Directory.CreateDirectory(root);

    public void Dispose() => TempFolders.DeleteAsync(root).GetAwaiter().GetResult();

    string Write(string relative, string content = "{\"text\":\"one two three four five six\"}\n")
    {
        string path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task ScanAsync_HiddenAndTemporaryFoldersAtAnyDepth_AreNotData()
    {
        Write("a.jsonl");
        Write("sub/b.jsonl");
        Write("_SUCCESS", "");
        Write("_temporary/0/task/part-0.jsonl");
        Write(".ipynb_checkpoints/a-checkpoint.jsonl");
        Write("sub/.hidden.jsonl");
        Write("sub/.git/objects/x", "binary");

        FolderDrop drop = await FolderCuration.ScanAsync(root, CancellationToken.None);

        Assert.Equal(["a.jsonl", "sub/b.jsonl"], drop.Drops.Select(d => d.BlobName));
    }

    [SkippableFact]
    public async Task RunAsync_BackslashInALinuxFileName_IsPartOfTheName()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "a backslash is a folder separator on Windows");
        string input = Path.Combine(root, "in");
        Write(Path.Combine("in", "a\\b.jsonl"), "{\"text\":\"one two three four five six\"}\n{\"text\":\"seven eight nine ten eleven twelve\"}\n");
        using var output = new StringWriter();
        using var error = new StringWriter();

        int exit = await FolderCuration.RunAsync(new CurateRequest(input, "shop", Path.Combine(root, "out")), output, error, CancellationToken.None);

        Assert.True(exit == 0, error.ToString());
        Assert.StartsWith("2 records read from 1 file(s): 2 curated", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("out")]
    [InlineData("sub/out")]
    [InlineData(".")]
    public void Error_OutInsideTheInputFolder_SaysWhy(string outBelowInput)
    {
        string input = Path.Combine(root, "in");
        Directory.CreateDirectory(input);

        string? error = new CurateRequest(input, "shop", Path.Combine(input, outBelowInput)).Error();

        Assert.NotNull(error);
        Assert.Contains("is inside the input folder", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("out")]
    [InlineData("in-out")]
    public void Error_OutBesideTheInputFolder_None(string outFolder)
    {
        string input = Path.Combine(root, "in");
        Directory.CreateDirectory(input);

        Assert.Null(new CurateRequest(input, "shop", Path.Combine(root, outFolder)).Error());
    }

    [SkippableFact]
    public async Task ScanAsync_APipe_SaysToSaveItToAFile()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "named pipes are made with mkfifo here");
        string fifo = Path.Combine(root, "stream.jsonl");
        using (Process mkfifo = Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // The writer side, as a shell's process substitution would be.
        Task writer = Task.Run(async () =>
        {
            try
            {
                await File.WriteAllTextAsync(fifo, "{\"text\":\"one two three\"}\n");
            }
            catch (IOException)
            {
                // the reader gave up first
            }
        });

        IOException e = await Assert.ThrowsAsync<IOException>(() => FolderCuration.ScanAsync(fifo, CancellationToken.None));

        Assert.Contains("is a pipe or a device, not a file", e.Message, StringComparison.Ordinal);
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
