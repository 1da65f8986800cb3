using System.Text.RegularExpressions;

namespace GenAiServerless.Platform;

/// <summary>The naming rule of models: lower-case letters, digits and dashes (they become container paths, job ids and
/// endpoint names). Checked at start-up (<c>PipelineOptions</c>) and by the local curate programs.</summary>
public static partial class ModelNames
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,30}$")]
    public static partial Regex Pattern();
}
