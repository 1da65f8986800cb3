using System.Net;
using Azure.Storage.Blobs;

namespace GenAiServerless.Tests.Local.AzureMlEmulator;

/// <summary>Code, environment, model and datastore resources: immutable versions (409 on a change), the blob checks,
/// container version bookkeeping, and datastores mapped to containers.</summary>
[Collection(EmulatorTestGroup.Name)]
public sealed class AssetTests(EmulatorFixture fixture)
{
    readonly ArmTestClient arm = fixture.NewWorkspace();

    [Fact]
    public async Task PutCodeVersion_SameBodyThenOtherCodeUri_200Then409()
    {
        string id = await arm.UploadCodeAsync("immutable-code", "1", ("main.py", "print('hi')"));
        ArmResponse stored = await arm.GetAsync("codes/immutable-code/versions/1");
        string codeUri = stored.Body!["properties"]!["codeUri"]!.GetValue<string>();

        ArmResponse same = await arm.PutAsync("codes/immutable-code/versions/1", $$"""{"properties":{"codeUri":"{{codeUri}}","description":"test code"} }""");
        string other = await arm.UploadDataAsync($"other-code/{Guid.NewGuid():N}", ("main.py", "print('bye')"));
        ArmResponse changed = await arm.PutAsync("codes/immutable-code/versions/1", $$"""{"properties":{"codeUri":"{{other}}"} }""");

        Assert.Equal(arm.Id("codes/immutable-code/versions/1"), id);
        Assert.Equal("Microsoft.MachineLearningServices/workspaces/codes/versions", stored.Body["type"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, same.Status);
        Assert.Equal(HttpStatusCode.Conflict, changed.Status);
        Assert.Contains("codeUri", changed.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutCodeVersion_EmptyFolder_Answers400()
    {
        ArmResponse pending = await arm.PostAsync("codes/empty/versions/1/startPendingUpload", """{"pendingUploadType":"TemporaryBlobReference"}""");
        string blobUri = pending.Body!["blobReferenceForConsumption"]!["blobUri"]!.GetValue<string>();

        ArmResponse code = await arm.PutAsync("codes/empty/versions/1", $$"""{"properties":{"codeUri":"{{blobUri}}"} }""");

        Assert.Equal("SAS", pending.Body["blobReferenceForConsumption"]!["credential"]!["credentialType"]!.GetValue<string>());
        Assert.Equal("TemporaryBlobReference", pending.Body["pendingUploadType"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, code.Status);
        Assert.Equal("properties.codeUri", code.Body!["error"]!["target"]!.GetValue<string>());
    }

    [Fact]
    public async Task PutModelVersion_OtherModelUri409_TagsUpdate200_ContainerCountsVersions()
    {
        string v1 = await arm.UploadDataAsync($"models/{Guid.NewGuid():N}/model", ("model.json", """{"name":"v1"}"""));
        string v2 = await arm.UploadDataAsync($"models/{Guid.NewGuid():N}/model", ("model.json", """{"name":"v2"}"""));

        ArmResponse first = await arm.PutAsync("models/tinylm/versions/1", $$"""{"properties":{"modelUri":"{{v1}}","modelType":"custom_model","tags":{"stage":"challenger"},"properties":{"dataHash":"abc"} } }""");
        ArmResponse retag = await arm.PutAsync("models/tinylm/versions/1", $$"""{"properties":{"modelUri":"{{v1}}","modelType":"custom_model","tags":{"stage":"champion"},"properties":{"dataHash":"abc","signature":"s1"} } }""");
        ArmResponse moved = await arm.PutAsync("models/tinylm/versions/1", $$"""{"properties":{"modelUri":"{{v2}}","modelType":"custom_model"} }""");
        ArmResponse altered = await arm.PutAsync("models/tinylm/versions/1", $$"""{"properties":{"modelUri":"{{v1}}","modelType":"custom_model","properties":{"dataHash":"zzz"} } }""");
        ArmResponse second = await arm.PutAsync("models/tinylm/versions/2", $$"""{"properties":{"modelUri":"{{v2}}","modelType":"custom_model"} }""");
        ArmResponse missing = await arm.PutAsync("models/tinylm/versions/3", """{"properties":{"modelUri":"azureml://datastores/workspaceblobstore/paths/nothing/here/"}}""");
        ArmResponse container = await arm.GetAsync("models/tinylm");
        ArmResponse versions = await arm.GetAsync("models/tinylm/versions?$orderBy=createdtime%20desc&$top=1");

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, retag.Status);
        Assert.Equal("champion", retag.Body!["properties"]!["tags"]!["stage"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, moved.Status);
        Assert.Equal(HttpStatusCode.Conflict, altered.Status);
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal("2", container.Body!["properties"]!["latestVersion"]!.GetValue<string>());
        Assert.Equal("3", container.Body["properties"]!["nextVersion"]!.GetValue<string>());
        Assert.Equal(["2"], versions.Body!["value"]!.AsArray().Select(v => v!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task PutEnvironmentVersion_WithoutImageOrBuild_400_OtherImage409()
    {
        ArmResponse none = await arm.PutAsync("environments/env/versions/1", """{"properties":{"description":"nothing to run"}}""");
        ArmResponse built = await arm.PutAsync("environments/env/versions/1", """{"properties":{"build":{"contextUri":"https://example.invalid/ctx/","dockerfilePath":"Dockerfile"}}}""");
        ArmResponse other = await arm.PutAsync("environments/env/versions/1", """{"properties":{"image":"python:3.11"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, none.Status);
        Assert.Equal(HttpStatusCode.Created, built.Status);
        Assert.Equal(HttpStatusCode.Conflict, other.Status);
    }

    [Fact]
    public async Task PutDatastore_AzureBlob_MapsAzuremlUrisToItsContainer()
    {
        string container = $"curated-{Guid.NewGuid():N}"[..20];
        ArmResponse datastore = await arm.PutAsync("datastores/curated", $$"""
            {"properties":{"datastoreType":"AzureBlob","accountName":"devstoreaccount1","containerName":"{{container}}","endpoint":"core.windows.net","protocol":"https","credentials":{"credentialsType":"None"} } }
            """);
        await new BlobServiceClient(fixture.ConnectionString).GetBlobContainerClient(container).GetBlobClient("m/model/model.json").UploadAsync(BinaryData.FromString("{}"));

        ArmResponse model = await arm.PutAsync("models/from-curated/versions/1", """{"properties":{"modelUri":"azureml://datastores/curated/paths/m/model/"}}""");
        ArmResponse unknown = await arm.PutAsync("models/from-curated/versions/2", """{"properties":{"modelUri":"azureml://datastores/nosuchstore/paths/m/model/"}}""");
        ArmResponse listed = await arm.GetAsync("datastores");

        Assert.Equal(HttpStatusCode.Created, datastore.Status);
        Assert.Equal(HttpStatusCode.Created, model.Status);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains("nosuchstore", unknown.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(["curated", "workspaceblobstore"], listed.Body!["value"]!.AsArray().Select(d => d!["name"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await arm.GetAsync("datastores/nosuchstore")).Status);
    }
}
