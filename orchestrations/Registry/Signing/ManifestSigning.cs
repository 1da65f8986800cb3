using System.Security.Cryptography;

namespace GenAiServerless.Registry.Signing;

/// <summary>A version manifest's signature: PS256 over the SHA-256 of the manifest's exact bytes, by the key version
/// <paramref name="KeyId"/> names (a Key Vault <c>kid</c>, or a local key ring's id), so that versions signed before a
/// key rotation still verify.</summary>
/// <param name="Value">The signature, base64url.</param>
/// <param name="ManifestSha256">The SHA-256 (lower-case hex) of the manifest the signature covers.</param>
public sealed record ManifestSignature(string Algorithm, string KeyId, string Value, string ManifestSha256, DateTime SignedUtc);

/// <summary>A signature made by a key: the versioned id of the key and the signature bytes.</summary>
public sealed record DigestSignature(string KeyId, byte[] Value);

/// <summary>Signs SHA-256 digests with PS256 and hands out the public key of any key version it signed with.</summary>
public interface IManifestSigner
{
    /// <summary>Signs a SHA-256 digest with the current key version.</summary>
    Task<DigestSignature> SignAsync(byte[] sha256Digest, CancellationToken cancellationToken);

    /// <summary>The public key of <paramref name="keyId"/>; null when the id is not one of this signer's keys (another
    /// vault, another key, another ring), which a verifier must then refuse to trust.</summary>
    Task<RSAParameters?> GetPublicKeyAsync(string keyId, CancellationToken cancellationToken);
}

/// <summary>PS256 (RSASSA-PSS, SHA-256, MGF1 with SHA-256, a 32-byte salt) and base64url, as JWA and Key Vault define them.</summary>
public static class Ps256
{
    public const string Algorithm = "PS256";

    public static byte[] Sign(RSA key, byte[] sha256Digest)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.SignHash(sha256Digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }

    public static bool Verify(RSAParameters publicKey, byte[] sha256Digest, byte[] signature)
    {
        using var rsa = RSA.Create(publicKey);
        return rsa.VerifyHash(sha256Digest, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes base64url (padding optional); throws <see cref="FormatException"/> on anything else.</summary>
    public static byte[] FromBase64Url(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
