using System.Text.Json.Nodes;
using GenAiServerless.Functions.Triggers;
using GenAiServerless.Platform;

namespace GenAiServerless.Tests.Bicep;

/// <summary>The event paths into the pipeline: blob-created under incoming/ to the blob trigger's webhook
/// (blob-events.bicep, deployed by the azd postdeploy hook) and Azure ML dataset drift to the drift-alerts queue.</summary>
[Collection(MainTemplateCollectionDefinition.Name)]
public sealed class EventGridTests(MainTemplateFixture fixture)
{
    [Fact]
    public void BlobEvents_BuildAndLint_AreClean()
    {
        Assert.True(fixture.BlobEventsBuild.ExitCode == 0, fixture.BlobEventsBuild.StandardError);
        Assert.Empty(fixture.BlobEventsBuild.Diagnostics);
        Assert.True(fixture.BlobEventsLint.ExitCode == 0, fixture.BlobEventsLint.StandardOutput + fixture.BlobEventsLint.StandardError);
        Assert.Equal(string.Empty, (fixture.BlobEventsLint.StandardOutput + fixture.BlobEventsLint.StandardError).Trim());
    }

    [Fact]
    public void BlobEvents_Filter_IsBlobCreatedUnderIncomingOnly()
    {
        JsonNode subscription = BlobSubscription()["properties"]!;
        JsonNode filter = subscription["filter"]!;

        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("[format('/blobServices/default/containers/{0}/', parameters('incomingContainerName'))]", filter["subjectBeginsWith"]!.GetValue<string>());
        Assert.Equal(PipelineStorage.Incoming, Default("incomingContainerName"));
        Assert.Null(filter["subjectEndsWith"]);
        Assert.Null(filter["advancedFilters"]);
        Assert.Equal("EventGridSchema", subscription["eventDeliverySchema"]!.GetValue<string>());
    }

    [Fact]
    public void BlobEvents_Target_IsTheBlobTriggerWebhookWithTheBlobsExtensionKey()
    {
        JsonNode destination = BlobSubscription()["properties"]!["destination"]!;
        string url = destination["properties"]!["endpointUrl"]!.GetValue<string>();

        Assert.Equal("WebHook", destination["endpointType"]!.GetValue<string>());
        Assert.StartsWith("[format('https://{0}/runtime/webhooks/blobs?functionName=Host.Functions.{1}&code={2}', ", url, StringComparison.Ordinal);
        Assert.Contains("reference(resourceId('Microsoft.Web/sites', parameters('functionAppName')), '2024-04-01').defaultHostName", url, StringComparison.Ordinal);
        Assert.Contains("listKeys(resourceId('Microsoft.Web/sites/host', parameters('functionAppName'), 'default'), '2024-04-01').systemKeys.blobs_extension", url, StringComparison.Ordinal);
        Assert.Equal(nameof(BlobDropTrigger), Default("functionName"));
        Assert.Equal("[format('{0}/{1}', parameters('systemTopicName'), 'incoming-blob-created-to-function')]", BlobSubscription()["name"]!.GetValue<string>());
    }

    [Fact]
    public void BlobEvents_Delivery_RetriesThenDeadLettersWithTheTopicIdentity()
    {
        JsonNode properties = BlobSubscription()["properties"]!;
        JsonNode deadLetter = properties["deadLetterWithResourceIdentity"]!;

        Assert.Equal("[parameters('maxDeliveryAttempts')]", properties["retryPolicy"]!["maxDeliveryAttempts"]!.GetValue<string>());
        Assert.Equal(30, fixture.BlobEvents.Parameters["maxDeliveryAttempts"]["defaultValue"]!.GetValue<int>());
        Assert.Equal(1440, fixture.BlobEvents.Parameters["eventTimeToLiveInMinutes"]["defaultValue"]!.GetValue<int>());
        Assert.Equal("SystemAssigned", deadLetter["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageBlob", deadLetter["deadLetterDestination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('dataStorageAccountName'))]", deadLetter["deadLetterDestination"]!["properties"]!["resourceId"]!.GetValue<string>());
        Assert.Equal("eventgrid-deadletter", Default("deadLetterContainerName"));
    }

    [Fact]
    public void BlobEvents_Hook_PassesEveryRequiredParameterFromAzdOutputs()
    {
        string hook = File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "bicep", "hooks", "blob-events.sh"));
        var required = fixture.BlobEvents.Parameters.Where(pair => pair.Value["defaultValue"] is null).Select(pair => pair.Key).ToList();

        Assert.Equal(["dataStorageAccountName", "functionAppName", "systemTopicName"], required.Order());
        Assert.All(required, name => Assert.Contains($"{name}=", hook, StringComparison.Ordinal));
        Assert.All(
            new[] { "AZURE_EVENTGRID_DATA_TOPIC", "AZURE_FUNCTION_APP_NAME", "AZURE_STORAGE_DATA_ACCOUNT", "AZURE_RESOURCE_GROUP" },
            output =>
            {
                Assert.Contains(output, hook, StringComparison.Ordinal);
                Assert.True(fixture.Template.Outputs.ContainsKey(output), $"main.bicep does not output {output}, which the hook reads.");
            });
        Assert.Contains("modules/blob-events.bicep", hook, StringComparison.Ordinal);
    }

    [Fact]
    public void DataTopic_Source_IsTheDataAccountWithAnIdentity()
    {
        JsonObject topic = fixture.Public.Single("Microsoft.EventGrid/systemTopics", "evgt-data-");

        Assert.Equal(AccountId("data"), topic["properties"]!["source"]!.GetValue<string>());
        Assert.Equal("Microsoft.Storage.StorageAccounts", topic["properties"]!["topicType"]!.GetValue<string>());
        Assert.Equal("SystemAssigned", topic["identity"]!["type"]!.GetValue<string>());
    }

    [Fact]
    public void DriftEvents_DatasetDriftDetected_GoToTheDriftQueueWithTheTopicIdentity()
    {
        JsonObject topic = fixture.Public.Single("Microsoft.EventGrid/systemTopics", "evgt-ml-");
        JsonObject subscription = fixture.Public.Single("Microsoft.EventGrid/systemTopics/eventSubscriptions");
        JsonNode properties = subscription["properties"]!;
        JsonNode delivery = properties["deliveryWithResourceIdentity"]!;
        string workspace = fixture.Public.Single("Microsoft.MachineLearningServices/workspaces")["id"]!.GetValue<string>();

        Assert.Equal(workspace, topic["properties"]!["source"]!.GetValue<string>());
        Assert.Equal("Microsoft.MachineLearningServices.Workspaces", topic["properties"]!["topicType"]!.GetValue<string>());
        Assert.StartsWith(topic["name"]!.GetValue<string>() + "/", subscription["name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["Microsoft.MachineLearningServices.DatasetDriftDetected"], properties["filter"]!["includedEventTypes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("EventGridSchema", properties["eventDeliverySchema"]!.GetValue<string>());
        Assert.Equal("SystemAssigned", delivery["identity"]!["type"]!.GetValue<string>());
        Assert.Equal("StorageQueue", delivery["destination"]!["endpointType"]!.GetValue<string>());
        Assert.Equal(AccountId("data"), delivery["destination"]!["properties"]!["resourceId"]!.GetValue<string>());
        Assert.Equal(PipelineStorage.DriftAlertsQueue, delivery["destination"]!["properties"]!["queueName"]!.GetValue<string>());
        Assert.Null(properties["destination"]);
    }

    private JsonObject BlobSubscription() => Assert.Single(fixture.BlobEvents.Resources, r => r["type"]!.GetValue<string>() == "Microsoft.EventGrid/systemTopics/eventSubscriptions");

    private string Default(string parameter) => fixture.BlobEvents.Parameters[parameter]["defaultValue"]!.GetValue<string>();

    private string AccountId(string role) =>
        fixture.Public.Single("Microsoft.Storage/storageAccounts", $"st{role}")["id"]!.GetValue<string>();
}
