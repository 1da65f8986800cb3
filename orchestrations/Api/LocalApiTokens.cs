using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GenAiServerless.Api;

/// <summary>The local stack's own bearer tokens: HMAC-SHA256 JWTs signed with a key kept in the stack's home
/// (<c>api-signing.key</c>, mode 0600, made on first use). Whoever can read the key can mint any role, exactly as
/// whoever can read the home can read the stack's data: the tokens separate roles and name callers, they do not
/// defend the machine's owner from themselves.</summary>
public sealed class LocalApiTokens
{
    public const string Issuer = "genai-local";
    public const string Audience = "genai-api";
    public const string KeyFileName = "api-signing.key";

    readonly SymmetricSecurityKey key;

    LocalApiTokens(byte[] keyBytes) => key = new SymmetricSecurityKey(keyBytes) { KeyId = Convert.ToHexString(SHA256.HashData(keyBytes))[..16] };

    /// <summary>Opens the stack's signing key in <paramref name="home"/>, creating it (mode 0600) when missing.</summary>
    public static LocalApiTokens OpenOrCreate(string home)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(home);
        Directory.CreateDirectory(home);
        string path = Path.Combine(home, KeyFileName);
        if (!File.Exists(path))
        {
            byte[] fresh = RandomNumberGenerator.GetBytes(32);
            try
            {
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                using var file = new FileStream(path, create);
                file.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(fresh)));
            }
            catch (IOException) when (File.Exists(path))
            {
                // made by a concurrent start: use that one
            }
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new InvalidOperationException($"{path} is readable by other users: run `chmod 600 {path}` (or delete it to make a new key; tokens issued before stop working)");
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"{path} does not hold a Base64 key: delete it to make a new one (tokens issued before stop working)");
        }

        return bytes.Length >= 32
            ? new LocalApiTokens(bytes)
            : throw new InvalidOperationException($"{path} holds a {bytes.Length}-byte key, fewer than 32: delete it to make a new one");
    }

    /// <summary>A token for <paramref name="name"/> with <paramref name="roles"/>, valid for <paramref name="validFor"/>.</summary>
    public string Issue(string name, IEnumerable<ApiRole> roles, TimeSpan validFor, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(roles);
        DateTime issued = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
        var claims = new List<Claim> { new("sub", name) };
        claims.AddRange(roles.Distinct().Select(r => new Claim(ApiCaller.RolesClaim, r.ToString())));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = issued,
            NotBefore = issued,
            Expires = issued + validFor,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>What the local host checks: this key, this issuer and audience, an unexpired token.</summary>
    public TokenValidationParameters ValidationParameters() => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = key,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = "sub",
        RoleClaimType = ApiCaller.RolesClaim,
    };
}
