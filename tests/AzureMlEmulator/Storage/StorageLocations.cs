using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using GenAiServerless.AzureMlEmulator.Arm;

namespace GenAiServerless.AzureMlEmulator.Storage;

/// <summary>A URI resolved to blobs: a container and a path in it (a blob, or a folder prefix).</summary>
sealed record BlobLocation(string Uri, string Datastore, BlobContainerClient Container, string Path)
{
    /// <summary>The path as a folder prefix: empty for the container root, else ending in '/'.</summary>
    public string FolderPrefix => Path.Length == 0 ? "" : Path.TrimEnd('/') + "/";

    /// <summary>The last path segment (a folder's or a file's name).</summary>
    public string LastSegment => Path.TrimEnd('/').Split('/')[^1];

    /// <summary>A stable key for the place: same container and folder, same key.</summary>
    public string Key => $"{Container.Name}/{FolderPrefix}";
}

/// <summary>Resolves the URIs jobs, code and model versions name: <c>azureml://datastores/{ds}/paths/{path}</c> (also the
/// long form with subscriptions/resourcegroups/workspaces), <c>azureml://jobs/{job}/outputs/{output}[/paths/{path}]</c>,
/// and http(s) URLs of the emulator's storage account. An unknown datastore or job is a 400 naming it.</summary>
sealed partial class StorageLocations(DatastoreRegistry datastores)
{
    /// <summary>Answers a job output's URI (set by the job store: outputs live on jobs).</summary>
    public Func<WorkspaceScope, string, string, string?> JobOutputUri { get; set; } = (_, _, _) => null;

    public BlobLocation Resolve(WorkspaceScope scope, string uri, string target)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (DatastorePath().Match(uri) is { Success: true } d)
        {
            WorkspaceScope where = d.Groups["sub"].Success ? new WorkspaceScope(d.Groups["sub"].Value, d.Groups["rg"].Value, d.Groups["ws"].Value) : scope;
            string name = d.Groups["ds"].Value;
            Datastore datastore = datastores.Find(where, name)
                ?? throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"Datastore '{name}' was not found in workspace '{where.Workspace}' (from '{uri}').", target));
            return new BlobLocation(uri, datastore.Name, datastores.Container(datastore), d.Groups["path"].Value.TrimStart('/'));
        }

        if (JobOutputPath().Match(uri) is { Success: true } j)
        {
            string job = j.Groups["job"].Value, output = j.Groups["output"].Value;
            string outputUri = JobOutputUri(scope, job, output)
                ?? throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"Job '{job}' has no output '{output}' (from '{uri}').", target));
            BlobLocation root = Resolve(scope, outputUri, target);
            string sub = j.Groups["path"].Success ? j.Groups["path"].Value.TrimStart('/') : "";
            return root with { Uri = uri, Path = root.FolderPrefix + sub };
        }

        if (Uri.TryCreate(uri, UriKind.Absolute, out Uri? url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
        {
            string account = datastores.Service.Uri.AbsoluteUri.TrimEnd('/') + "/";
            string given = url.GetLeftPart(UriPartial.Path);
            if (!given.StartsWith(account, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"'{uri}' is not in the emulator's storage account ({account}).", target));
            }

            string[] parts = Uri.UnescapeDataString(given[account.Length..]).Split('/', 2);
            if (parts[0].Length == 0)
            {
                throw new ArmException(StatusCodes.Status400BadRequest, ArmError.User($"'{uri}' names no container.", target));
            }

            string datastore = datastores.NameOfContainer(scope, parts[0]) ?? "(storage account)";
            return new BlobLocation(uri, datastore, datastores.Service.GetBlobContainerClient(parts[0]), parts.Length > 1 ? parts[1] : "");
        }

        throw new ArmException(StatusCodes.Status400BadRequest,
            ArmError.User($"'{uri}' is not a URI the emulator can resolve (azureml://datastores/{{name}}/paths/{{path}}, azureml://jobs/{{job}}/outputs/{{output}}, or a blob URL).", target));
    }

    [GeneratedRegex(@"^azureml://(?:subscriptions/(?<sub>[^/]+)/resourcegroups/(?<rg>[^/]+)/(?:providers/Microsoft\.MachineLearningServices/)?workspaces/(?<ws>[^/]+)/)?datastores/(?<ds>[^/]+)/paths(?:/(?<path>.*))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DatastorePath();

    [GeneratedRegex(@"^azureml://jobs/(?<job>[^/]+)/outputs/(?<output>[^/]+)(?:/paths(?<path>/.*)?)?/?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex JobOutputPath();
}
