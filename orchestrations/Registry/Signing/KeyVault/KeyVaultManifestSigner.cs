using System.Security.Cryptography;

namespace GenAiServerless.Registry.Signing.KeyVault;

/// <summary>Signs manifests with a Key Vault RSA key: the key version is resolved first (the configured one, or the
/// newest), then the digest is signed with it, so each signature names the exact <c>kid</c> that made it. Verification
/// reads that key version's public key and checks locally; only key versions of the configured key in the configured
/// vault are trusted.</summary>
public sealed class KeyVaultManifestSigner(KeyVaultKeysClient client, string keyName, string? keyVersion) : IManifestSigner
{
    /// <summary>The vault whose key signs.</summary>
    public Uri VaultUri => client.VaultUri;

    /// <summary>The key that signs.</summary>
    public string KeyName => keyName;

    string KeyPrefix => new Uri(client.VaultUri, $"keys/{keyName}/").AbsoluteUri;

    public async Task<DigestSignature> SignAsync(byte[] sha256Digest, CancellationToken cancellationToken)
    {
        KeyVaultKey key = await client.GetKeyAsync(keyName, keyVersion, cancellationToken);
        return await client.SignAsync(key.KeyId, Ps256.Algorithm, sha256Digest, cancellationToken);
    }

    public async Task<RSAParameters?> GetPublicKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!keyId.StartsWith(KeyPrefix, StringComparison.OrdinalIgnoreCase) || keyId.Length == KeyPrefix.Length || keyId[KeyPrefix.Length..].Contains('/', StringComparison.Ordinal)
            || !Uri.TryCreate(keyId, UriKind.Absolute, out Uri? uri))
        {
            return null; // another vault or key: not ours to trust
        }

        return (await client.GetKeyAsync(uri, cancellationToken)).PublicKey;
    }
}
