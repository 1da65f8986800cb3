using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core.Pipeline;
using GenAiServerless.Registry.Signing;
using GenAiServerless.Registry.Signing.KeyVault;
using GenAiServerless.Tests.Orchestrations.TestDoubles;

namespace GenAiServerless.Tests.Orchestrations.Registry.Signing;

/// <summary>The Key Vault keys REST contract (data plane, <c>shared/reference/azure-rest-contracts.md</c> §5): the exact
/// requests of signing (resolve the key version, then <c>POST {kid}/sign</c> with a base64url SHA-256 digest and
/// <c>alg: PS256</c>) and of verification (<c>GET {kid}</c>, then RSA-PSS locally), against a recording transport whose
/// answers come from a real RSA key.</summary>
public sealed class KeyVaultKeysContractTests : IDisposable
{
    const string Vault = "https://kv-genai.vault.azure.net/";
    const string Kid = Vault + "keys/manifest-signing/0f1e2d3c4b5a69788796a5b4c3d2e1f0";

    readonly RSA key = RSA.Create(2048);

    static readonly byte[] Digest = SHA256.HashData(Encoding.UTF8.GetBytes("""{"model":"shop","version":3}"""));

    string KeyBody(string kid = Kid)
    {
        RSAParameters p = key.ExportParameters(false);
        return new JsonObject
        {
            ["key"] = new JsonObject { ["kid"] = kid, ["kty"] = "RSA", ["key_ops"] = new JsonArray("sign", "verify"), ["n"] = Ps256.Base64Url(p.Modulus!), ["e"] = Ps256.Base64Url(p.Exponent!) },
            ["attributes"] = new JsonObject { ["enabled"] = true },
        }.ToJsonString();
    }

    static KeyVaultManifestSigner Signer(RecordingTransport transport, string? version = null) =>
        new(new KeyVaultKeysClient(HttpPipelineBuilder.Build(new KeyVaultClientOptions { Transport = transport, Retry = { MaxRetries = 0 } }), new Uri(Vault.TrimEnd('/')), "7.5"), "manifest-signing", version);

    [Fact]
    public async Task SignAsync_ResolvesTheNewestKeyVersionThenPostsTheDigest()
    {
        byte[] signature = Ps256.Sign(key, Digest);
        var vault = RecordingTransport.Ok(KeyBody(), new JsonObject { ["kid"] = Kid, ["value"] = Ps256.Base64Url(signature) }.ToJsonString());

        DigestSignature signed = await Signer(vault).SignAsync(Digest, CancellationToken.None);

        Assert.Equal(["GET", "POST"], vault.Methods);
        Assert.Equal([$"{Vault}keys/manifest-signing/?api-version=7.5", $"{Kid}/sign?api-version=7.5"], vault.RequestUris);
        JsonNode body = JsonNode.Parse(vault.Requests[1].Body!)!;
        Assert.Equal("PS256", (string?)body["alg"]);
        Assert.Equal(Ps256.Base64Url(Digest), (string?)body["value"]);
        Assert.DoesNotContain("=", (string)body["value"]!, StringComparison.Ordinal); // base64url without padding
        Assert.Equal(2, body.AsObject().Count);
        Assert.Equal("application/json", vault.Requests[1].Headers["Content-Type"]);
        Assert.Equal(Kid, signed.KeyId);
        Assert.Equal(signature, signed.Value);
    }

    [Fact]
    public async Task SignAsync_ConfiguredKeyVersion_GetsThatVersion()
    {
        var vault = RecordingTransport.Ok(KeyBody(), new JsonObject { ["kid"] = Kid, ["value"] = Ps256.Base64Url(Ps256.Sign(key, Digest)) }.ToJsonString());

        _ = await Signer(vault, "0f1e2d3c4b5a69788796a5b4c3d2e1f0").SignAsync(Digest, CancellationToken.None);

        Assert.Equal($"{Kid}?api-version=7.5", vault.RequestUris[0]);
    }

    [Fact]
    public async Task GetPublicKeyAsync_KeyVersionOfTheVault_GetsItAndVerifiesLocally()
    {
        var vault = RecordingTransport.Ok(KeyBody());

        RSAParameters? publicKey = await Signer(vault).GetPublicKeyAsync(Kid, CancellationToken.None);

        Assert.Equal([$"{Kid}?api-version=7.5"], vault.RequestUris);
        Assert.True(Ps256.Verify(publicKey!.Value, Digest, Ps256.Sign(key, Digest)));
        Assert.False(Ps256.Verify(publicKey.Value, SHA256.HashData([1, 2, 3]), Ps256.Sign(key, Digest)));
    }

    [Theory]
    [InlineData("https://evil.vault.azure.net/keys/manifest-signing/0f1e")]
    [InlineData(Vault + "keys/other-key/0f1e")]
    [InlineData(Vault + "keys/manifest-signing/")]
    [InlineData("local/manifest-signing/0123456789abcdef")]
    public async Task GetPublicKeyAsync_KeyOutsideTheConfiguredKey_IsNotTrustedAndNotFetched(string keyId)
    {
        var vault = new RecordingTransport();

        Assert.Null(await Signer(vault).GetPublicKeyAsync(keyId, CancellationToken.None));
        Assert.Empty(vault.Requests);
    }

    [Fact]
    public async Task SignAsync_VaultRefuses_FailsWithTheVaultsCodeAndMessage()
    {
        var vault = new RecordingTransport((200, KeyBody()), (403, """{"error":{"code":"Forbidden","message":"Caller is not authorized to perform action on resource.","innererror":{"code":"ForbiddenByRbac"}}}"""));

        RequestFailedException e = await Assert.ThrowsAsync<RequestFailedException>(() => Signer(vault).SignAsync(Digest, CancellationToken.None));

        Assert.Equal(403, e.Status);
        Assert.Contains("sign with " + Kid, e.Message, StringComparison.Ordinal);
        Assert.Contains("Forbidden: Caller is not authorized", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetKeyAsync_NotRsa_SaysPs256NeedsRsa()
    {
        var vault = RecordingTransport.Ok("""{"key":{"kid":"https://kv-genai.vault.azure.net/keys/manifest-signing/1","kty":"EC","crv":"P-256"}}""");

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => Signer(vault).SignAsync(Digest, CancellationToken.None));

        Assert.Contains("not RSA", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => key.Dispose();
}
