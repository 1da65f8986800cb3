using System.Security.Claims;

namespace GenAiServerless.Api;

/// <summary>The app roles of the pipeline API, as they appear in a token's <c>roles</c> claim (Entra ID app roles on
/// Azure, <c>genai token --role</c> locally).</summary>
public enum ApiRole
{
    /// <summary>List and read runs, models and versions. Every other role may read too.</summary>
    Reader,

    /// <summary>Deploy a version or alias, pause, resume or roll back a rollout, move an alias.</summary>
    Deployer,

    /// <summary>Approve or reject a run waiting at the evaluation gate.</summary>
    Approver,

    /// <summary>Cancel a run, post an alert.</summary>
    Operator,
}

/// <summary>A verified caller: the name the pipeline records (approver, deployer, canceller) and the roles granted.</summary>
public sealed record ApiCaller(string Name, IReadOnlySet<ApiRole> Roles)
{
    /// <summary>The claim that carries the roles, in Entra ID tokens and the local stack's alike.</summary>
    public const string RolesClaim = "roles";

    static readonly string[] NameClaims = ["preferred_username", "upn", "sub"];

    /// <summary>Whether the caller may use a route that needs <paramref name="role"/>; any role may read.</summary>
    public bool May(ApiRole role) => Roles.Contains(role) || (role == ApiRole.Reader && Roles.Count > 0);

    /// <summary>The caller a validated token describes: the first of <c>preferred_username</c>, <c>upn</c> and
    /// <c>sub</c> (an Entra ID user's sign-in name, a service principal's subject, the local token's name), and the
    /// roles named in <c>roles</c> (unknown role names are ignored).</summary>
    public static ApiCaller? From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        string? name = NameClaims
            .Select(type => principal.FindFirst(type)?.Value)
            .FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        if (name is null)
        {
            return null;
        }

        var roles = new HashSet<ApiRole>();
        foreach (Claim claim in principal.FindAll(RolesClaim))
        {
            if (claim.Value.All(char.IsAsciiLetter) && Enum.TryParse(claim.Value, ignoreCase: true, out ApiRole role))
            {
                roles.Add(role);
            }
        }

        return new ApiCaller(name, roles);
    }
}
