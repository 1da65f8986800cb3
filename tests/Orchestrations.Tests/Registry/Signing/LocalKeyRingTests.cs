using System.Security.Cryptography;
using System.Text;
using GenAiServerless.Registry.Signing;

namespace GenAiServerless.Tests.Orchestrations.Registry.Signing;

/// <summary>The local key ring: a key made on first use and readable only by its owner, PS256 signatures that verify
/// with the public key it hands out, and rotation that keeps older signatures verifiable.</summary>
public sealed class LocalKeyRingTests : IDisposable
{
    readonly string folder = Path.Combine(Path.GetTempPath(), $"genai-keyring-{Guid.NewGuid():N}");

    static readonly byte[] Digest = SHA256.HashData(Encoding.UTF8.GetBytes("""{"model":"shop","version":1}"""));

    [Fact]
    public async Task SignAsync_FirstUse_CreatesAnOwnerOnlyKeyAndSignsPs256()
    {
        var ring = new LocalKeyRing(folder);

        DigestSignature signature = await ring.SignAsync(Digest, CancellationToken.None);

        Assert.Matches("^local/manifest-signing/[0-9a-f]{16}$", signature.KeyId);
        string key = Assert.Single(Directory.GetFiles(Path.Combine(folder, LocalKeyRing.KeyName), "*.pem"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(folder, LocalKeyRing.KeyName)));
        }

        RSAParameters publicKey = (await ring.GetPublicKeyAsync(signature.KeyId, CancellationToken.None))!.Value;
        Assert.True(Ps256.Verify(publicKey, Digest, signature.Value));
        Assert.False(Ps256.Verify(publicKey, SHA256.HashData(Encoding.UTF8.GetBytes("other")), signature.Value));
        Assert.Null(publicKey.D); // only the public half leaves the ring
    }

    [Fact]
    public async Task SignAsync_SecondRingOnTheSameFolder_UsesTheSameKey()
    {
        DigestSignature first = await new LocalKeyRing(folder).SignAsync(Digest, CancellationToken.None);
        DigestSignature second = await new LocalKeyRing(folder).SignAsync(Digest, CancellationToken.None);

        Assert.Equal(first.KeyId, second.KeyId);
        Assert.NotEqual(first.Value, second.Value); // PSS is salted: same key, fresh signature
    }

    [Fact]
    public async Task Rotate_OlderSignaturesStillVerify_NewOnesUseTheNewKey()
    {
        var ring = new LocalKeyRing(folder);
        DigestSignature before = await ring.SignAsync(Digest, CancellationToken.None);

        string rotated = ring.Rotate();
        DigestSignature after = await ring.SignAsync(Digest, CancellationToken.None);

        Assert.Equal(rotated, after.KeyId);
        Assert.NotEqual(before.KeyId, after.KeyId);
        Assert.True(Ps256.Verify((await ring.GetPublicKeyAsync(before.KeyId, CancellationToken.None))!.Value, Digest, before.Value));
        Assert.True(Ps256.Verify((await ring.GetPublicKeyAsync(after.KeyId, CancellationToken.None))!.Value, Digest, after.Value));
    }

    [Theory]
    [InlineData("https://kv.vault.azure.net/keys/manifest-signing/abc")]
    [InlineData("local/manifest-signing/../../etc/passwd")]
    [InlineData("local/manifest-signing/0123456789abcdef")]
    public async Task GetPublicKeyAsync_NotAKeyOfThisRing_IsNull(string keyId)
    {
        var ring = new LocalKeyRing(folder);
        _ = await ring.SignAsync(Digest, CancellationToken.None);

        Assert.Null(await ring.GetPublicKeyAsync(keyId, CancellationToken.None));
    }

    public void Dispose()
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
