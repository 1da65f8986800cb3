using System.Text.RegularExpressions;

namespace GenAiServerless.AzureMlEmulator.Arm;

/// <summary>The name pattern mfe.json puts on job ids, asset, endpoint and deployment names.</summary>
static partial class ResourceNames
{
    public static ArmError? Check(string name, string what) =>
        NamePattern().IsMatch(name)
            ? null
            : ArmError.User($"The {what} name '{name}' is invalid: it must match ^[a-zA-Z0-9][a-zA-Z0-9\\-_]{{0,254}}$.", what);

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
