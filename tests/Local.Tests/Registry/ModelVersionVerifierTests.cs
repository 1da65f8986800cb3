using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using GenAiServerless.Platform;
using GenAiServerless.Registry;
using GenAiServerless.Registry.Signing;

namespace GenAiServerless.Tests.Local.Registry;

/// <summary>Verification before rollout on Azurite: a version verifies only while its manifest, its signature and every
/// byte of its files are as registered; each refusal names what changed.</summary>
public sealed class ModelVersionVerifierTests(RegistryOnAzurite azurite) : IClassFixture<RegistryOnAzurite>
{
    async Task<(ModelVersionInfo Version, ModelVersionCheck Check)> RegisteredAsync()
    {
        string model = RegistryOnAzurite.NewModel("verify");
        ModelVersionInfo v = await azurite.RegisterAsync(model, "r1");
        return (v, new ModelVersionCheck(model, v.Version, v.FilesPrefix));
    }

    Task<VersionVerification> VerifyAsync(ModelVersionCheck check) => azurite.Verifier.VerifyAsync(check, CancellationToken.None);

    BlobClient RegistryBlob(string name) => azurite.Storage.Container(PipelineStorage.Registry).GetBlobClient(name);

    [Fact]
    public async Task VerifyAsync_OneByteOfAFileFlipped_RefusesNamingTheFile()
    {
        (ModelVersionInfo v, ModelVersionCheck check) = await RegisteredAsync();
        BlobClient file = azurite.File(v, "vocab/words.txt");
        byte[] bytes = (await file.DownloadContentAsync()).Value.Content.ToArray();
        bytes[0] ^= 0x01;
        await file.UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);

        VersionVerification result = await VerifyAsync(check);

        Assert.False(result.Verified);
        string problem = Assert.Single(result.Problems);
        Assert.StartsWith("file vocab/words.txt changed: SHA-256 ", problem, StringComparison.Ordinal);
        Assert.Contains($"refused {check.Model} v1: file vocab/words.txt changed", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_FileAddedOrRemoved_RefusesNamingIt()
    {
        (ModelVersionInfo v, ModelVersionCheck check) = await RegisteredAsync();
        await azurite.File(v, "extra.py").UploadAsync(BinaryData.FromString("import os"));
        await azurite.File(v, "model.json").DeleteAsync();

        VersionVerification result = await VerifyAsync(check);

        Assert.False(result.Verified);
        Assert.Equal(["file extra.py is not in the signed manifest", "file model.json is missing"], result.Problems);
    }

    [Fact]
    public async Task VerifyAsync_ManifestEdited_RefusesAsChangedAfterSigning()
    {
        (ModelVersionInfo v, ModelVersionCheck check) = await RegisteredAsync();
        BlobClient record = RegistryBlob(BlobModelRegistry.VersionBlob(v.Model, v.Version));
        JsonNode json = JsonNode.Parse((await record.DownloadContentAsync()).Value.Content.ToString())!;
        json["files"]![0]!["sha256"] = new string('0', 64); // someone "fixes" the manifest to match a swapped file
        await record.UploadAsync(BinaryData.FromString(json.ToJsonString()), overwrite: true);

        VersionVerification result = await VerifyAsync(check);

        Assert.False(result.Verified);
        Assert.Contains("manifest (version.json) changed after it was signed", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_SignatureMissingOrByAnotherKey_Refuses()
    {
        (ModelVersionInfo v, ModelVersionCheck check) = await RegisteredAsync();
        BlobClient signature = RegistryBlob(BlobModelRegistry.SignatureBlob(v.Model, v.Version));

        // Signed again by a key ring this registry does not trust.
        string strangerFolder = Path.Combine(Path.GetTempPath(), $"genai-stranger-{Guid.NewGuid():N}");
        try
        {
            var stranger = new LocalKeyRing(strangerFolder);
            byte[] digest = Convert.FromHexString(v.Signature!.ManifestSha256);
            DigestSignature forged = await stranger.SignAsync(digest, CancellationToken.None);
            await signature.UploadAsync(BinaryData.FromObjectAsJson(v.Signature with { KeyId = forged.KeyId, Value = Ps256.Base64Url(forged.Value) }, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)), overwrite: true);
            VersionVerification foreign = await VerifyAsync(check);
            Assert.False(foreign.Verified);
            Assert.Contains("not a key this registry trusts", foreign.Detail, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(strangerFolder, recursive: true);
        }

        await signature.DeleteAsync();
        VersionVerification missing = await VerifyAsync(check);
        Assert.False(missing.Verified);
        Assert.Contains("has no signature", missing.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_OtherFilesThanTheSignedOnes_Refuses()
    {
        (_, ModelVersionCheck check) = await RegisteredAsync();

        VersionVerification result = await VerifyAsync(check with { FilesPrefix = $"{PipelineStorage.Models}/jobs/somewhere/" });

        Assert.False(result.Verified);
        Assert.Contains("signed manifest is for registry/", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_KeyRotatedAfterSigning_OlderVersionStillVerifies()
    {
        (_, ModelVersionCheck before) = await RegisteredAsync();
        azurite.KeyRing.Rotate();
        (ModelVersionInfo after, ModelVersionCheck afterCheck) = await RegisteredAsync();

        VersionVerification old = await VerifyAsync(before);
        VersionVerification current = await VerifyAsync(afterCheck);

        Assert.True(old.Verified, old.Detail);
        Assert.True(current.Verified, current.Detail);
        Assert.NotEqual(old.KeyId, current.KeyId);
        Assert.Equal(after.Signature!.KeyId, current.KeyId);
    }

    [Fact]
    public async Task VerifyAsync_UnknownVersion_RefusesAsNotRegistered()
    {
        VersionVerification result = await VerifyAsync(new ModelVersionCheck(RegistryOnAzurite.NewModel("verify"), 4, "registry/x/"));

        Assert.False(result.Verified);
        Assert.EndsWith("is not registered", result.Detail, StringComparison.Ordinal);
    }
}
