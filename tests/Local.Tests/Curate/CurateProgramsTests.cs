using System.Diagnostics;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace GenAiServerless.Tests.Local.Curate;

/// <summary><c>genai curate</c> as a user runs it (the built <c>genai</c>, a separate process), and the native
/// <c>genai-curate</c> (curate/, published ahead of time) against it: one curate function, the same outputs, text and exit codes.</summary>
public sealed class CurateProgramsTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"genai-curate-{Guid.NewGuid():N}");

    public CurateProgramsTests() => Directory.CreateDirectory(root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // A child still closing a file; the temp folder is cleaned by the OS.
        }
    }

    /// <summary>A drop with something of every kind: good records, a bad line, a line that is not UTF-8, PII, an exact
    /// duplicate, a CSV, a Parquet file with value-type columns, and a file that is not JSONL at all.</summary>
    async Task<string> DropAsync()
    {
        string folder = Path.Combine(root, "in");
        Directory.CreateDirectory(folder);
        string[] words =
        [
            "the", "river", "model", "shard", "token", "forest", "ocean", "curate", "train", "city", "data", "quiet", "fox", "runs", "over", "a",
            "bridge", "while", "green", "lamps", "glow", "near", "old", "stone", "walls", "and", "markets", "open", "early", "for", "travellers",
        ];
        string Text(int i, int n)
        {
            var random = new Random(i);
            return string.Join(' ', Enumerable.Range(0, n).Select(_ => words[random.Next(words.Length)])) + ".";
        }
        var lines = Enumerable.Range(0, 60).Select(i => JsonSerializer.Serialize(new { id = $"r{i}", text = Text(i, 12 + (i % 9)) + (i % 13 == 0 ? " mail ann@example.com" : "") })).ToList();
        lines.Add(lines[4].Replace("\"r4\"", "\"copy4\"", StringComparison.Ordinal));
        lines.Insert(7, """{"id": "broken", "text": """);
        byte[] jsonl = [.. System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines.Take(20)) + "\n"), .. "{\"id\":\"latin\",\"text\":\"caf"u8, 0xE9, .. " au lait\"}\n"u8,
            .. System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines.Skip(20)) + "\n")];
        await File.WriteAllBytesAsync(Path.Combine(folder, "a.jsonl"), jsonl);
        await File.WriteAllTextAsync(Path.Combine(folder, "b.csv"), "id,text\n" + string.Join('\n', Enumerable.Range(0, 20).Select(i => $"c{i},\"{Text(i + 100, 15)}\"")) + "\n");
        await File.WriteAllTextAsync(Path.Combine(folder, "not-jsonl.jsonl"), "id,text\n1,hello\n");

        var id = new DataField<long>("id");
        var text = new DataField<string>("text");
        var score = new DataField<double>("score");
        var votes = new DataField<int?>("votes");
        await using (FileStream file = File.Create(Path.Combine(folder, "c.parquet")))
        await using (ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(id, text, score, votes), file))
        {
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            await group.WriteAsync<long>(id, Enumerable.Range(0, 10).Select(i => (long)i).ToArray());
            await group.WriteAsync(text, Enumerable.Range(0, 10).Select(i => Text(i + 200, 14)).ToArray());
            await group.WriteAsync<double>(score, Enumerable.Range(0, 10).Select(i => i / 10.0).ToArray());
            await group.WriteAsync<int>(votes, Enumerable.Range(0, 10).Select(i => i % 3 == 0 ? (int?)null : i).ToArray());
        }

        return folder;
    }

    static async Task<(int Exit, string Out, string Err)> RunAsync(string program, IEnumerable<string> args)
    {
        bool dll = program.EndsWith(".dll", StringComparison.Ordinal);
        var psi = new ProcessStartInfo(dll ? Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet" : program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (dll)
        {
            psi.ArgumentList.Add(program);
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    static Task<(int Exit, string Out, string Err)> GenaiAsync(params string[] args) => RunAsync(Path.Combine(AppContext.BaseDirectory, "genai.dll"), ["curate", .. args]);

    /// <summary>Every file under <paramref name="folder"/>, by relative path, with its bytes.</summary>
    static SortedDictionary<string, byte[]> Files(string folder) =>
        new(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes), StringComparer.Ordinal);

    [Fact]
    public async Task GenaiCurate_MixedFolder_CuratesAndPrintsOneLinePerFact()
    {
        string input = await DropAsync();
        string output = Path.Combine(root, "out");

        (int exit, string stdout, string stderr) = await GenaiAsync(input, "--model", "shop", "--out", output, "--threads", "2", "--parquet");

        Assert.True(exit == 0, stderr);
        string[] lines = stdout.TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("93 records read from 4 file(s): ", lines[0], StringComparison.Ordinal);
        Assert.Contains("2 quarantined", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("1 bad file(s)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"  bad file: {Path.Combine(input, "not-jsonl.jsonl")}: not JSONL", lines[1], StringComparison.Ordinal);
        string manifest = lines[2]["manifest: ".Length..];
        Assert.True(File.Exists(manifest), manifest);
        Assert.Equal($"data card: {Path.Combine(Path.GetDirectoryName(manifest)!, "datacard.md")}", lines[3]);
        Assert.Contains("file(s) in 4 shard(s)", stderr, StringComparison.Ordinal);

        // A rerun over the same bytes is the same run: the same outputs, the manifest printed.
        (exit, stdout, _) = await GenaiAsync(input, "--model", "shop", "--out", output, "--json");
        Assert.Equal(0, exit);
        Assert.Equal(93, JsonDocument.Parse(stdout).RootElement.GetProperty("counts").GetProperty("read").GetInt64());
    }

    [Theory]
    [InlineData("--model", "Shop", "genai: --model 'Shop': lower-case letters, digits and dashes")]
    [InlineData("--threads", "0", "genai: --threads: at least 1")]
    [InlineData("--quality", "Best", "genai: --quality: use one of ShortRecords, Documents, Off")]
    public async Task GenaiCurate_BadArgument_SaysWhichAndExitsWithOne(string option, string value, string message)
    {
        string[] args = ["--model", "shop", "--out", Path.Combine(root, "out")];
        int at = Array.IndexOf(args, option);
        args = at >= 0 ? [.. args[..(at + 1)], value, .. args[(at + 2)..]] : [.. args, option, value];

        (int exit, string stdout, string stderr) = await GenaiAsync([root, .. args]);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Equal(message, stderr.TrimEnd());
    }

    /// <summary>Publishes curate/ with Native AOT (about a minute): the program users run for a cold one-shot curate.</summary>
    [SkippableFact]
    [Trait("Category", "Slow")]
    public async Task GenaiCurateNative_SameDrop_WritesWhatGenaiCurateWrites()
    {
        string repository = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repository, "GenAiServerless.sln")))
        {
            repository = Path.GetDirectoryName(repository) ?? throw new InvalidOperationException("the repository is not above the test's folder");
        }

        string published = Path.Combine(root, "genai-curate");
        (int publishExit, string publishOut, string publishErr) = await RunAsync(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            ["publish", Path.Combine(repository, "curate", "GenAiServerless.Curate.csproj"), "-c", "Release", "-r", "linux-x64", "-o", published, "-nologo"]);
        Skip.If(publishExit != 0 && publishOut.Contains("ILCompiler", StringComparison.Ordinal) && (publishOut.Contains("NU1101", StringComparison.Ordinal) || publishOut.Contains("NU1102", StringComparison.Ordinal) || publishOut.Contains("NU1301", StringComparison.Ordinal)),
            $"the ILCompiler package could not be restored, so genai-curate cannot be compiled ahead of time here: {publishOut}");
        Assert.True(publishExit == 0, publishOut + publishErr);
        string native = Path.Combine(published, "genai-curate");

        string input = await DropAsync();
        foreach (string[] options in new[] { new[] { "--threads", "1", "--parquet" }, ["--json", "--shard-mb", "1"] })
        {
            string jit = Path.Combine(root, "out-jit"), aot = Path.Combine(root, "out-aot");
            (int Exit, string Out, string Err) expected = await GenaiAsync([input, "--model", "shop", "--out", jit, .. options]);
            (int Exit, string Out, string Err) actual = await RunAsync(native, [input, "--model", "shop", "--out", aot, .. options]);

            Assert.True(expected.Exit == 0, expected.Err);
            Assert.Equal(expected.Exit, actual.Exit);
            Assert.Equal(expected.Out.Replace(jit, aot, StringComparison.Ordinal), actual.Out);
            SortedDictionary<string, byte[]> want = Files(jit), got = Files(aot);
            Assert.Equal(want.Keys, got.Keys);
            Assert.Contains(want.Keys, k => k.EndsWith(".parquet", StringComparison.Ordinal) || options.Contains("--json"));
            foreach ((string file, byte[] bytes) in want)
            {
                Assert.True(bytes.AsSpan().SequenceEqual(got[file]), $"{file} differs");
            }

            Directory.Delete(jit, recursive: true);
            Directory.Delete(aot, recursive: true);
        }

        // The same validation, message and exit code (the program's name first).
        (int badExit, _, string badErr) = await RunAsync(native, [input, "--model", "Shop", "--out", Path.Combine(root, "x")]);
        Assert.Equal(1, badExit);
        Assert.Equal("genai-curate: --model 'Shop': lower-case letters, digits and dashes", badErr.TrimEnd());
    }
}
