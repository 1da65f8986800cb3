using System.Text.RegularExpressions;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>One workspace, <c>/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices/workspaces/{ws}</c>.
/// ARM ids compare case-insensitively, so <see cref="Key"/> is the upper-cased id; names below it keep their case
/// (mfe.json: asset names and versions "are case-sensitive").</summary>
public sealed partial record WorkspaceScope(string SubscriptionId, string ResourceGroup, string Workspace)
{
    public const string Provider = "Microsoft.MachineLearningServices";

    public string Id => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroup}/providers/{Provider}/workspaces/{Workspace}";

    public string Key => Id.ToUpperInvariant();

    public string ChildId(string relative) => $"{Id}/{relative}";

    /// <summary>Keys a child resource: the workspace part case-insensitive, the rest as given.</summary>
    public string ChildKey(string relative) => $"{Key}/{relative}";

    /// <summary>Parses an ARM id below a workspace (<c>{W}/codes/x/versions/1</c>; an <c>azureml:</c> prefix is
    /// tolerated) into the workspace and the path below it.</summary>
    public static bool TryParseChild(string? id, out WorkspaceScope scope, out string[] segments)
    {
        scope = null!;
        segments = [];
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        string value = id.StartsWith("azureml:/", StringComparison.OrdinalIgnoreCase) ? id["azureml:".Length..] : id;
        Match m = ChildIdPattern().Match(value);
        if (!m.Success)
        {
            return false;
        }

        scope = new WorkspaceScope(m.Groups["sub"].Value, m.Groups["rg"].Value, m.Groups["ws"].Value);
        segments = m.Groups["rest"].Value.Split('/');
        return true;
    }

    /// <summary>True when both name the same workspace.</summary>
    public bool SameWorkspace(WorkspaceScope other) => string.Equals(Key, other?.Key, StringComparison.Ordinal);

    [GeneratedRegex(@"^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\.MachineLearningServices/workspaces/(?<ws>[^/]+)/(?<rest>.+?)/?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ChildIdPattern();
}
