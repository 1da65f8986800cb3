// Diagnostic settings: every resource that does work for the pipeline sends its logs (category group
// allLogs) and metrics to the Log Analytics workspace, so a failed run can be followed across services.

@description('Required. Resource ID of the Log Analytics workspace.')
param logAnalyticsWorkspaceId string

@description('Required. Names of the storage accounts (account metrics, blob and queue logs).')
param storageAccountNames string[]

@description('Required. Name of the host storage account (table logs: the Durable task hub lives there).')
param hostStorageAccountName string

@description('Required. Name of the key vault.')
param keyVaultName string

@description('Required. Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Required. Name of the function app.')
param functionAppName string

@description('Required. Name of the Azure ML workspace.')
param mlWorkspaceName string

@description('Required. Names of the Event Grid system topics (delivery failures).')
param systemTopicNames string[]

var settingName = 'to-log-analytics'
var allLogs = [
  {
    categoryGroup: 'allLogs'
    enabled: true
  }
]
var allMetrics = [
  {
    category: 'AllMetrics'
    enabled: true
  }
]

resource storageAccounts 'Microsoft.Storage/storageAccounts@2024-01-01' existing = [
  for name in storageAccountNames: {
    name: name
  }
]

resource blobServices 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = [
  for (name, i) in storageAccountNames: {
    parent: storageAccounts[i]
    name: 'default'
  }
]

resource queueServices 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' existing = [
  for (name, i) in storageAccountNames: {
    parent: storageAccounts[i]
    name: 'default'
  }
]

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: hostStorageAccountName

  resource tableService 'tableServices' existing = {
    name: 'default'
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2025-06-01' existing = {
  name: mlWorkspaceName
}

resource systemTopics 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = [
  for name in systemTopicNames: {
    name: name
  }
]

resource storageAccountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (name, i) in storageAccountNames: {
    name: settingName
    scope: storageAccounts[i]
    properties: {
      workspaceId: logAnalyticsWorkspaceId
      metrics: allMetrics
    }
  }
]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (name, i) in storageAccountNames: {
    name: settingName
    scope: blobServices[i]
    properties: {
      workspaceId: logAnalyticsWorkspaceId
      logs: allLogs
      metrics: allMetrics
    }
  }
]

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (name, i) in storageAccountNames: {
    name: settingName
    scope: queueServices[i]
    properties: {
      workspaceId: logAnalyticsWorkspaceId
      logs: allLogs
      metrics: allMetrics
    }
  }
]

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: hostStorage::tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

resource keyVaultDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: keyVault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

resource serviceBusDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: serviceBus
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

resource functionAppDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: functionApp
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

resource workspaceDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: settingName
  scope: workspace
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: allLogs
    metrics: allMetrics
  }
}

resource systemTopicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (name, i) in systemTopicNames: {
    name: settingName
    scope: systemTopics[i]
    properties: {
      workspaceId: logAnalyticsWorkspaceId
      logs: allLogs
      metrics: allMetrics
    }
  }
]

@description('Name every diagnostic setting of the deployment carries.')
output settingName string = settingName
