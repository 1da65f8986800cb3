using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using GenAiServerless.AzureMlEmulator.Arm;
using GenAiServerless.AzureMlEmulator.Storage;

namespace GenAiServerless.AzureMlEmulator.Assets;

/// <summary><c>POST W/codes/{name}/versions/{version}/startPendingUpload</c>: where to upload a code folder before
/// registering it. Answers the PendingUploadResponseDto of mfe.json: a blob folder under the default datastore
/// (<c>LocalUpload/{pendingUploadId}</c>) and a SAS for its container, signed with the account key (Azurite accepts it).</summary>
static class PendingUploadRoutes
{
    static readonly TimeSpan SasLifetime = TimeSpan.FromHours(1);

    public static void MapPendingUploads(this IEndpointRouteBuilder workspace) =>
        workspace.MapPost("/codes/{name}/versions/{version}/startPendingUpload", StartAsync);

    static async Task<IResult> StartAsync(HttpContext context, string subscriptionId, string resourceGroupName, string workspaceName, string name, DatastoreRegistry datastores, TimeProvider clock)
    {
        var scope = new WorkspaceScope(subscriptionId, resourceGroupName, workspaceName);
        if (ResourceNames.Check(name, "code") is { } badName)
        {
            return ArmResults.Error(StatusCodes.Status400BadRequest, badName);
        }

        JsonObject body = await RequestBody.ReadOptionalObjectAsync(context.Request);
        string type = RequestBody.Text(body, "pendingUploadType") ?? "None";
        if (!string.Equals(type, "TemporaryBlobReference", StringComparison.OrdinalIgnoreCase))
        {
            return ArmResults.BadRequest($"pendingUploadType '{type}' is not supported: use TemporaryBlobReference.", "pendingUploadType");
        }

        string uploadId = RequestBody.Text(body, "pendingUploadId") ?? Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
        BlobContainerClient container = datastores.Container(datastores.Find(scope, DatastoreRegistry.DefaultName)!);
        await container.CreateIfNotExistsAsync(cancellationToken: context.RequestAborted);
        Uri sas = container.GenerateSasUri(
            BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Add | BlobContainerSasPermissions.Create | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.List,
            clock.GetUtcNow().Add(SasLifetime));
        return ArmResults.Json(new JsonObject
        {
            ["blobReferenceForConsumption"] = new JsonObject
            {
                ["blobUri"] = $"{container.Uri.AbsoluteUri.TrimEnd('/')}/LocalUpload/{uploadId}",
                ["storageAccountArmId"] = $"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Storage/storageAccounts/{container.AccountName}",
                ["credential"] = new JsonObject { ["credentialType"] = "SAS", ["sasUri"] = sas.AbsoluteUri },
            },
            ["pendingUploadId"] = uploadId,
            ["pendingUploadType"] = "TemporaryBlobReference",
        });
    }
}
