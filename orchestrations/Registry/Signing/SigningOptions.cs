namespace GenAiServerless.Registry.Signing;

/// <summary>Which key signs version manifests: a Key Vault key (<see cref="KeyVaultUri"/> and <see cref="KeyName"/>, the
/// Functions app on Azure) or a local key ring (the local stack). Bound from <c>Signing</c>.</summary>
public sealed class SigningOptions
{
    /// <summary>The vault's data-plane URI, e.g. <c>https://kv-abc.vault.azure.net/</c>.</summary>
    public Uri? KeyVaultUri { get; set; }

    /// <summary>The RSA key in the vault (the Bicep's <c>manifest-signing</c>).</summary>
    public string? KeyName { get; set; }

    /// <summary>The key version to sign with; empty signs with the newest (a rotation takes effect at once, and versions
    /// signed with older key versions still verify: each signature names its key version).</summary>
    public string? KeyVersion { get; set; }

    /// <summary>Key Vault data-plane api-version.</summary>
    public string ApiVersion { get; set; } = "7.5";

    /// <summary>The local key ring's folder (the local stack sets it to <c>{home}/keys</c>).</summary>
    public string? KeyRingPath { get; set; }
}
