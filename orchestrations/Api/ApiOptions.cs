using System.ComponentModel.DataAnnotations;

namespace GenAiServerless.Api;

/// <summary>Settings of the pipeline API (section <c>Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>Browser origins allowed besides the API's own (e.g. an operations portal); none by default. A request
    /// whose <c>Origin</c> is neither is refused with 403, so a web page cannot drive the API from a browser.</summary>
    public IList<string> AllowedOrigins { get; init; } = [];
}

/// <summary>The Entra ID app registration that protects the API on Azure (section <c>Api:EntraId</c>).</summary>
public sealed class EntraIdApiOptions
{
    /// <summary>Required. The directory (tenant) id that issues the tokens.</summary>
    public string? TenantId { get; init; }

    /// <summary>Required. The application (client) id of the API's app registration; tokens must be for it (its
    /// id or its application id URI, <c>api://{ClientId}</c>, as audience).</summary>
    [Required]
    public string? ClientId { get; init; }

    /// <summary>Optional. An application id URI other than <c>api://{ClientId}</c>.</summary>
    public string? Audience { get; init; }

    /// <summary>Optional. The sign-in authority host (another cloud's, e.g. <c>https://login.microsoftonline.us/</c>).</summary>
    [Required]
    public string Instance { get; init; } = "https://login.microsoftonline.com/";

    /// <summary>The audiences a token may carry.</summary>
    public IReadOnlyList<string> Audiences => new[] { ClientId!, $"api://{ClientId}", Audience }.OfType<string>().Where(a => a.Length > 0).Distinct().ToList();

    /// <summary>The issuers of v2.0 and v1.0 access tokens of the tenant.</summary>
    public IReadOnlyList<string> Issuers => [$"{Instance.TrimEnd('/')}/{TenantId}/v2.0", $"https://sts.windows.net/{TenantId}/"];
}
