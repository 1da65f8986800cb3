using System.Security.Claims;
using System.Security.Cryptography;
using GenAiServerless.Api;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace GenAiServerless.Tests.Functions.TestDoubles;

/// <summary>Entra ID access tokens as the tenant would issue them, signed with a test RSA key that stands in for the
/// tenant's published signing keys (the only part of the app's validation the tests replace: no network here).</summary>
static class EntraTokens
{
    public const string TenantId = "11111111-2222-3333-4444-555555555555";
    public const string ClientId = "66666666-7777-8888-9999-000000000000";

    public static readonly RsaSecurityKey TenantKey = new(RSA.Create(2048)) { KeyId = "tenant-key" };

    static readonly RsaSecurityKey OtherKey = new(RSA.Create(2048)) { KeyId = "tenant-key" };

    public static string V2Issuer => $"https://login.microsoftonline.com/{TenantId}/v2.0";

    /// <summary>Serves the tenant's OpenID configuration from memory instead of login.microsoftonline.com.</summary>
    public static IServiceCollection UseTestTenantKeys(this IServiceCollection services)
    {
        var configuration = new OpenIdConnectConfiguration { Issuer = V2Issuer };
        configuration.SigningKeys.Add(TenantKey);
        services.PostConfigure<JwtBearerOptions>(PipelineApi.AuthenticationScheme, o =>
            o.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(configuration));
        return services;
    }

    public static string Token(
        string user = "ana@contoso.com",
        ApiRole[]? roles = null,
        string? audience = null,
        string? issuer = null,
        TimeSpan? expiresIn = null,
        bool wrongKey = false)
    {
        DateTime now = DateTime.UtcNow;
        DateTime expires = now + (expiresIn ?? TimeSpan.FromHours(1));
        var claims = new List<Claim> { new("preferred_username", user), new("sub", "opaque-subject"), new("tid", TenantId) };
        claims.AddRange((roles ?? []).Select(r => new Claim("roles", r.ToString())));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? V2Issuer,
            Audience = audience ?? $"api://{ClientId}",
            Subject = new ClaimsIdentity(claims),
            IssuedAt = expires < now ? expires - TimeSpan.FromHours(1) : now,
            NotBefore = expires < now ? expires - TimeSpan.FromHours(1) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(wrongKey ? OtherKey : TenantKey, SecurityAlgorithms.RsaSha256),
        });
    }
}
