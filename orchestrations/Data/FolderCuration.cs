using System.Globalization;
using System.IO.Hashing;
using System.Text;
using GenAiServerless.Platform;
using Microsoft.Extensions.Logging.Abstractions;

namespace GenAiServerless.Data;

/// <summary>The arguments of a local curate run (<c>genai curate</c> and the native <c>genai-curate</c>).</summary>
/// <param name="Input">A data file, or a folder of them (files and folders whose names start with '_' or '.' are markers or hidden and are skipped).</param>
/// <param name="Model">Names the output folder and the near-duplicate index the data is checked against.</param>
/// <param name="Out">Output folder: <c>curated/</c> and <c>quarantine/</c> are written below it.</param>
/// <param name="Json">Print the manifest instead of a summary.</param>
/// <param name="Threads">Shards curated at once; null = the number of cores. The outputs are the same for any value.</param>
/// <param name="Parquet">Also write every curated JSONL file as Parquet beside it.</param>
/// <param name="ShardMegabytes">Plain JSONL/CSV files larger than this are cut into byte-range shards.</param>
public sealed record CurateRequest(
    string Input,
    string Model,
    string Out,
    string Quality = DataQualityPresets.ShortRecords,
    bool Json = false,
    int? Threads = null,
    bool Parquet = false,
    int ShardMegabytes = 64)
{
    /// <summary>Why the arguments cannot run, as the user reads it, or null when they can.</summary>
    public string? Error() =>
        string.IsNullOrWhiteSpace(Model) ? "--model is required"
        : !ModelNames.Pattern().IsMatch(Model) ? $"--model '{Model}': lower-case letters, digits and dashes"
        : string.IsNullOrWhiteSpace(Out) ? "--out is required"
        : !File.Exists(Input) && !Directory.Exists(Input) ? $"'{Input}' is neither a file nor a folder"
        : !DataQualityPresets.All.Contains(Quality) ? $"--quality: use one of {string.Join(", ", DataQualityPresets.All)}"
        : Threads is < 1 ? "--threads: at least 1"
        : ShardMegabytes < 1 ? "--shard-mb: at least 1"
        : Directory.Exists(Input) && IsWithin(Out, Input) ? $"--out '{Out}' is inside the input folder '{Input}': the next run would read its outputs as input; write them outside it"
        : null;

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or below it.</summary>
    static bool IsWithin(string path, string folder)
    {
        string relative = Path.GetRelativePath(Path.GetFullPath(folder), Path.GetFullPath(path));
        return relative == "." || (!Path.IsPathRooted(relative) && relative != ".." && !relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }
}

/// <summary>A local file or folder as one drop: the folder its names are relative to, its files (each with a hash of
/// its content as the ETag) and the run id those hashes give.</summary>
/// <param name="RunId"><c>curate-</c> and a hash of every name and content hash: a rerun over the same bytes is the same run.</param>
public sealed record FolderDrop(string Root, IReadOnlyList<DropBlob> Drops, string RunId);

/// <summary><c>genai curate</c>: the Data stage alone, on local files, with no storage: the same curation, outputs,
/// manifest and data card as in the pipeline, written under <see cref="CurateRequest.Out"/>. One function for both
/// programs that run it (the <c>genai</c> command and the ahead-of-time compiled <c>genai-curate</c>).</summary>
public static class FolderCuration
{
    /// <summary>Lists and hashes the files of <paramref name="input"/> (a file, or a folder's files in ordinal order).</summary>
    public static async Task<FolderDrop> ScanAsync(string input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        string root = Directory.Exists(input) ? Path.GetFullPath(input) : Path.GetDirectoryName(Path.GetFullPath(input))!;
        // Markers and hidden or temporary files and folders (_SUCCESS, .crc, _temporary/, .ipynb_checkpoints/, .git/) are
        // never data, at any depth: the rule of folder drops in the pipeline.
        IEnumerable<string> files = Directory.Exists(input)
            ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Where(f => !Inputs.FolderDrop.IsHidden(NameOf(root, f)))
            : [Path.GetFullPath(input)];
        var drops = new List<DropBlob>();
        foreach (string f in files.Order(StringComparer.Ordinal))
        {
            // A local file's "ETag" is a hash of its content, so a rerun over the same bytes is the same run.
            await using FileStream stream = File.OpenRead(f);
            if (!stream.CanSeek)
            {
                throw new IOException($"'{f}' is a pipe or a device, not a file: the stage reads its inputs more than once; save the data to a file first");
            }

            var hasher = new XxHash128();
            await hasher.AppendAsync(stream, cancellationToken);
            drops.Add(new DropBlob(NameOf(root, f), Convert.ToHexStringLower(hasher.GetHashAndReset()), stream.Length));
        }

        string runId = "curate-" + XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(string.Join('|', drops.Select(d => $"{d.BlobName}:{d.ETag}")))).ToString("x16", CultureInfo.InvariantCulture);
        return new FolderDrop(root, drops, runId);
    }

    /// <summary>The drop name of <paramref name="file"/>: its path below <paramref name="root"/> with '/' between folders
    /// (a '\\' is a folder separator on Windows only; on Linux it is part of a file name).</summary>
    static string NameOf(string root, string file)
    {
        string relative = Path.GetRelativePath(root, file);
        return Path.DirectorySeparatorChar == '/' ? relative : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>Curates <see cref="CurateRequest.Input"/> (already validated: <see cref="CurateRequest.Error"/> is null),
    /// writing the summary (or the manifest, with <see cref="CurateRequest.Json"/>) to <paramref name="output"/> and
    /// progress and problems to <paramref name="error"/>.</summary>
    /// <returns>The exit code: 0 when records were curated, 1 when none were (or there was nothing to curate).</returns>
    public static async Task<int> RunAsync(CurateRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        FolderDrop folder = await ScanAsync(request.Input, cancellationToken);
        if (folder.Drops.Count == 0)
        {
            await error.WriteLineAsync($"nothing to curate: '{request.Input}' holds no data files");
            return 1;
        }

        var defaults = new DataOptions { QualityPreset = request.Quality, ShardBytes = request.ShardMegabytes * 1024L * 1024, ParquetOutput = request.Parquet };
        var input = new DataPrepInput(request.Model, folder.RunId, folder.Drops, DataPolicies.For(defaults, request.Model));
        Action<string>? progress = request.Json ? null : error.WriteLine;
        string outRoot = Path.GetFullPath(request.Out);
        DataPrepResult result = await DataStage.RunAsync(
            new FolderDataStore(folder.Root, outRoot), input, NullLogger.Instance, cancellationToken, request.Threads ?? Environment.ProcessorCount, progress);

        string manifest = Path.Combine(outRoot, result.ManifestBlob.Replace('/', Path.DirectorySeparatorChar));
        if (request.Json)
        {
            await output.WriteLineAsync(await File.ReadAllTextAsync(manifest, cancellationToken));
        }
        else
        {
            await output.WriteLineAsync(
                $"{result.RecordsRead} records read from {folder.Drops.Count} file(s): {result.RecordsCurated} curated ({result.TrainRecords}/{result.ValidationRecords}/{result.TestRecords} train/validation/test), "
                + $"{result.RecordsQuarantined} quarantined, {result.RecordsFiltered} filtered, {result.ExactDuplicates} exact and {result.NearDuplicates} near duplicates dropped, {result.QuarantinedFiles.Count} bad file(s)");
            foreach (string bad in result.QuarantinedFiles)
            {
                await output.WriteLineAsync($"  bad file: {bad}");
            }

            await output.WriteLineAsync($"manifest: {manifest}");
            await output.WriteLineAsync($"data card: {Path.Combine(Path.GetDirectoryName(manifest)!, "datacard.md")}");
        }

        return result.RecordsCurated > 0 ? 0 : 1;
    }
}
