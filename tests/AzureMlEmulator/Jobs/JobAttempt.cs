using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Assets;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Jobs;

/// <summary>An input or output could not be made ready: the job fails with this message.</summary>
sealed class JobPreparationException(string message) : Exception(message);

/// <summary>A job output as the attempt sees it: a local folder (or file) and where it is uploaded.</summary>
sealed record OutputBinding(string Name, string LocalFolder, BlobLocation Location, string? FileName, bool Upload);

/// <summary>One attempt's working folder: the code asset downloaded, inputs downloaded (a read-only mount is a
/// download here), outputs given a folder, and the command with its <c>${{inputs.X}}</c>/<c>${{outputs.X}}</c>
/// bindings substituted.</summary>
sealed class JobAttempt
{
    JobAttempt(string folder, string codeFolder, string command, List<OutputBinding> outputs)
    {
        Folder = folder;
        CodeFolder = codeFolder;
        Command = command;
        Outputs = outputs;
    }

    public string Folder { get; }

    public string CodeFolder { get; }

    public string Command { get; }

    public List<OutputBinding> Outputs { get; }

    public static async Task<JobAttempt> PrepareAsync(EmulatedJob job, EmulatorContext emulator, AssetRegistry assets, StorageLocations locations, MountTable mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(emulator);
        string workspace = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(job.Scope.Key)))[..8];
        string folder = emulator.Folder("jobs", workspace, job.Name, $"attempt-{job.Attempt}");
        string code = Path.Combine(folder, "code");
        Directory.CreateDirectory(code);
        Directory.CreateDirectory(Path.Combine(folder, "user_logs"));
        JsonObject properties = job.Properties;
        if (RequestBody.Text(properties, "codeId") is { } codeId)
        {
            var (scope, _, version) = assets.FindById(AssetKind.Codes, codeId) ?? throw new JobPreparationException($"code '{codeId}' no longer exists");
            BlobLocation codeLocation = locations.Resolve(scope, RequestBody.Text(version.Properties, "codeUri")!, "codeUri");
            if (!await BlobTransfer.DownloadFileAsync(codeLocation, Path.Combine(code, codeLocation.LastSegment), cancellationToken)
                && await BlobTransfer.DownloadFolderAsync(codeLocation, code, cancellationToken) == 0)
            {
                throw new JobPreparationException($"code '{codeId}' has no files at '{codeLocation.Uri}'");
            }
        }

        var bindings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, JsonNode? node) in RequestBody.Object(properties, "inputs") ?? [])
        {
            bindings[$"inputs.{name}"] = await PrepareInputAsync(job.Scope, name, (JsonObject)node!, folder, locations, cancellationToken);
        }

        var outputs = new List<OutputBinding>();
        foreach ((string name, JsonNode? node) in RequestBody.Object(properties, "outputs") ?? [])
        {
            var output = (JsonObject)node!;
            string uri = RequestBody.Text(output, "uri")!;
            if (string.Equals(RequestBody.Text(output, "mode"), "Direct", StringComparison.OrdinalIgnoreCase))
            {
                bindings[$"outputs.{name}"] = uri;
                continue;
            }

            BlobLocation location = locations.Resolve(job.Scope, uri, $"outputs.{name}.uri");
            bool file = string.Equals(RequestBody.Text(output, "jobOutputType"), "uri_file", StringComparison.OrdinalIgnoreCase);
            bool upload = string.Equals(RequestBody.Text(output, "mode"), "Upload", StringComparison.OrdinalIgnoreCase);
            string local;
            if (file || upload)
            {
                local = Path.Combine(folder, "outputs", name);
                Directory.CreateDirectory(local);
            }
            else
            {
                local = await mounts.MountAsync(location, cancellationToken);
            }

            var binding = new OutputBinding(name, local, location, file ? location.LastSegment : null, upload);
            outputs.Add(binding);
            bindings[$"outputs.{name}"] = file ? Path.Combine(local, binding.FileName!) : local;
        }

        string command = JobValidation.Bindings().Replace(RequestBody.Text(properties, "command")!, m => bindings[$"{m.Groups["kind"].Value}.{m.Groups["name"].Value}"]);
        return new JobAttempt(folder, code, command, outputs);
    }

    /// <summary>Uploads every output (after the process exited for any reason, a kill included).</summary>
    public async Task UploadOutputsAsync(CancellationToken cancellationToken)
    {
        foreach (OutputBinding output in Outputs)
        {
            if (output.FileName is { } fileName)
            {
                string file = Path.Combine(output.LocalFolder, fileName);
                if (File.Exists(file))
                {
                    await BlobTransfer.UploadFileAsync(file, output.Location, cancellationToken);
                }
            }
            else
            {
                await BlobTransfer.UploadFolderAsync(output.LocalFolder, output.Location, cancellationToken);
            }
        }
    }

    static async Task<string> PrepareInputAsync(WorkspaceScope scope, string name, JsonObject input, string folder, StorageLocations locations, CancellationToken cancellationToken)
    {
        string type = RequestBody.Text(input, "jobInputType")!;
        if (string.Equals(type, "literal", StringComparison.OrdinalIgnoreCase))
        {
            return RequestBody.Text(input, "value")!;
        }

        string uri = RequestBody.Text(input, "uri")!;
        if (string.Equals(RequestBody.Text(input, "mode"), "Direct", StringComparison.OrdinalIgnoreCase))
        {
            return uri;
        }

        BlobLocation location = locations.Resolve(scope, uri, $"inputs.{name}.uri");
        string local = Path.Combine(folder, "inputs", name);
        if (string.Equals(type, "uri_file", StringComparison.OrdinalIgnoreCase))
        {
            string file = Path.Combine(local, location.LastSegment);
            return await BlobTransfer.DownloadFileAsync(location, file, cancellationToken)
                ? file
                : throw new JobPreparationException($"input '{name}': no blob at '{uri}'");
        }

        return await BlobTransfer.DownloadFolderAsync(location, local, cancellationToken) > 0
            ? local
            : throw new JobPreparationException($"input '{name}': no blobs under '{uri}'");
    }
}
