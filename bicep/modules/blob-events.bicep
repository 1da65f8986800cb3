// Blob created under incoming/ → the BlobDropTrigger (Event Grid source). Deployed by the azd postdeploy
// hook (hooks/blob-events.sh), not by main.bicep: the webhook needs the host's blobs_extension system key,
// which exists only once the code with the blob trigger runs. Undeliverable events are dead-lettered to the
// data account with the topic's own identity.

@description('Required. Name of the Event Grid system topic on the data storage account.')
param systemTopicName string

@description('Required. Name of the function app that hosts BlobDropTrigger.')
param functionAppName string

@description('Required. Name of the data storage account (its eventgrid-deadletter container takes undeliverable events).')
param dataStorageAccountName string

@description('Optional. Name of the blob-triggered function.')
param functionName string = 'BlobDropTrigger'

@description('Optional. Container the drops land in.')
param incomingContainerName string = 'incoming'

@description('Optional. Container for undeliverable events.')
param deadLetterContainerName string = 'eventgrid-deadletter'

@description('Optional. Delivery attempts before an event is dead-lettered (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Optional. Minutes Event Grid keeps retrying an event (1-1440).')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// The host's system key the blob extension's webhook checks. Microsoft.Web/sites/host has no Bicep types
// (BCP081 as a resource; the linter does not know it in listKeys either), hence the disabled rule.
#disable-next-line use-recognized-resource-type
var blobsExtensionKey = listKeys(resourceId('Microsoft.Web/sites/host', functionApp.name, 'default'), '2024-04-01').systemKeys.blobs_extension

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource blobCreatedToTrigger 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'incoming-blob-created-to-function'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      // Every blob under incoming/ (a folder drop's parts and its _SUCCESS marker too): the trigger decides.
      subjectBeginsWith: '/blobServices/default/containers/${incomingContainerName}/'
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: dataStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

@description('Name of the blob-created subscription.')
output name string = blobCreatedToTrigger.name
