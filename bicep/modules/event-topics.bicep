// Event Grid system topics: one on the data account (blob-created events for the blob trigger, wired by
// blob-events.bicep after the code is deployed) and one on the Azure ML workspace (dataset drift, wired by
// drift-events.bicep). Each has a system-assigned identity so deliveries and dead letters need no key.

@description('Required. Name of the system topic on the data storage account.')
param dataTopicName string

@description('Required. Name of the system topic on the Azure ML workspace.')
param mlTopicName string

@description('Required. Azure region of the topics (that of their sources).')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Required. Name of the data storage account.')
param dataStorageAccountName string

@description('Required. Name of the Azure ML workspace.')
param mlWorkspaceName string

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageAccountName
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2025-06-01' existing = {
  name: mlWorkspaceName
}

resource dataTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: dataTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: dataStorage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource mlTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: mlTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: workspace.id
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

@description('Name of the system topic on the data account.')
output dataTopicName string = dataTopic.name

@description('Principal ID of the data topic\'s identity (dead-letters blob events).')
output dataTopicPrincipalId string = dataTopic.identity.principalId

@description('Name of the system topic on the workspace.')
output mlTopicName string = mlTopic.name

@description('Principal ID of the workspace topic\'s identity (delivers drift events to the queue).')
output mlTopicPrincipalId string = mlTopic.identity.principalId
