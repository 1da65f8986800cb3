using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using GenAiServerless.Platform;

namespace GenAiServerless.Registry.Signing.KeyVault;

/// <summary>A Key Vault key's versioned id (<c>kid</c>) and RSA public key.</summary>
public sealed record KeyVaultKey(Uri KeyId, RSAParameters PublicKey);

/// <summary>The two Key Vault keys operations signing needs, over REST on an Azure.Core <see cref="HttpPipeline"/>
/// (<c>Azure.Security.KeyVault.Keys</c> is not served to us): <c>GET {vault}/keys/{name}/{version}</c> and
/// <c>POST {kid}/sign</c> with <c>{"alg","value"}</c> (the value a base64url digest: Key Vault does not hash).
/// Errors (<c>{"error":{"code","message"}}</c>) become <see cref="RequestFailedException"/>s naming the key.</summary>
public sealed class KeyVaultKeysClient(HttpPipeline pipeline, Uri vaultUri, string apiVersion)
{
    /// <summary>The token scope of the Key Vault data plane.</summary>
    public const string Scope = "https://vault.azure.net/.default";

    public Uri VaultUri { get; } = new(vaultUri.AbsoluteUri.TrimEnd('/') + "/");

    /// <summary>A key version (the newest when <paramref name="version"/> is empty).</summary>
    public Task<KeyVaultKey> GetKeyAsync(string name, string? version, CancellationToken cancellationToken) =>
        GetKeyAsync(new Uri(VaultUri, $"keys/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(version ?? string.Empty)}"), cancellationToken);

    /// <summary>The key a versioned <c>kid</c> names.</summary>
    public async Task<KeyVaultKey> GetKeyAsync(Uri keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        JsonElement body = await SendAsync(RequestMethod.Get, keyId, null, $"GET key {keyId}", cancellationToken);
        JsonElement key = Property(body, "key", keyId);
        string kty = Property(key, "kty", keyId).GetString() ?? string.Empty;
        if (!kty.StartsWith("RSA", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Key Vault key {keyId} is {kty}, not RSA: PS256 needs an RSA key");
        }

        return new KeyVaultKey(
            new Uri(Property(key, "kid", keyId).GetString()!),
            new RSAParameters { Modulus = Ps256.FromBase64Url(Property(key, "n", keyId).GetString()!), Exponent = Ps256.FromBase64Url(Property(key, "e", keyId).GetString()!) });
    }

    /// <summary>Signs a digest with the key version <paramref name="keyId"/> names; returns the signing <c>kid</c> and the
    /// signature.</summary>
    public async Task<DigestSignature> SignAsync(Uri keyId, string algorithm, byte[] digest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var request = new JsonObject { ["alg"] = algorithm, ["value"] = Ps256.Base64Url(digest) };
        JsonElement body = await SendAsync(RequestMethod.Post, new Uri(keyId.AbsoluteUri.TrimEnd('/') + "/sign"), request, $"sign with {keyId}", cancellationToken);
        return new DigestSignature(Property(body, "kid", keyId).GetString()!, Ps256.FromBase64Url(Property(body, "value", keyId).GetString()!));
    }

    async Task<JsonElement> SendAsync(RequestMethod method, Uri uri, JsonNode? body, string what, CancellationToken cancellationToken)
    {
        using HttpMessage message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri($"{uri.GetLeftPart(UriPartial.Path)}?api-version={apiVersion}"));
        if (body is not null)
        {
            message.Request.Headers.Add("Content-Type", "application/json");
            message.Request.Content = RequestContent.Create(BinaryData.FromString(body.ToJsonString()));
        }

        await pipeline.SendAsync(message, cancellationToken);
        Response response = message.Response;
        JsonElement? json = AzureRestResponses.JsonOf(response);
        if (response.Status != 200)
        {
            (string code, string text) = AzureRestResponses.ErrorOf(json);
            if (json is null && response.Content is { } raw)
            {
                text = raw.ToString();
            }

            throw new RequestFailedException(response.Status, $"Key Vault {what} answered {response.Status} {code}: {text}", code, null);
        }

        return json ?? throw new RequestFailedException(response.Status, $"Key Vault {what} answered 200 without a JSON body");
    }

    static JsonElement Property(JsonElement element, string name, Uri keyId) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw new InvalidOperationException($"Key Vault's answer about {keyId} has no '{name}'");
}

/// <summary>Client options of the Key Vault keys client: a few retries with exponential backoff on 408/429/5xx.</summary>
public sealed class KeyVaultClientOptions : ClientOptions
{
    public KeyVaultClientOptions()
    {
        Retry.MaxRetries = 4;
        Retry.Mode = RetryMode.Exponential;
        Retry.Delay = TimeSpan.FromSeconds(1);
        Retry.MaxDelay = TimeSpan.FromSeconds(30);
    }
}
