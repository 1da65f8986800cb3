// Dataset drift → drift-alerts queue. Azure ML publishes DatasetDriftDetected on the workspace's system
// topic; this subscription puts each event (Event Grid schema, the JSON of one event) on the data account's
// drift-alerts queue, delivered with the topic's own identity (Storage Queue Data Message Sender on that
// queue only, in rbac.bicep).

@description('Required. Name of the system topic on the Azure ML workspace.')
param systemTopicName string

@description('Required. Name of the data storage account that holds the queue.')
param dataStorageAccountName string

@description('Optional. Name of the queue the drift trigger reads.')
param queueName string = 'drift-alerts'

@description('Optional. Seconds a queued event lives before storage drops it (-1: forever; Event Grid\'s default is 7 days).')
param queueMessageTimeToLiveInSeconds int = 604800

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource driftToQueue 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'dataset-drift-to-queue'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.MachineLearningServices.DatasetDriftDetected'
      ]
    }
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: dataStorage.id
          queueName: queueName
          queueMessageTimeToLiveInSeconds: queueMessageTimeToLiveInSeconds
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

@description('Name of the drift subscription.')
output name string = driftToQueue.name
