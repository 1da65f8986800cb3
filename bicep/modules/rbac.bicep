// Every role assignment of the deployment, in one place. Each is scoped to the one resource it
// needs and named guid(scope, principal, role), so a redeployment finds and keeps the same one.

@description('Required. Name of the storage account.')
param storageAccountName string

@description('Required. Name of the key vault.')
param keyVaultName string

@description('Required. Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Required. Name of the Azure ML workspace.')
param mlWorkspaceName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Principal ID of the function app identity.')
param functionAppPrincipalId string

@description('Required. Principal ID of the Azure ML workspace identity.')
param mlWorkspacePrincipalId string

@description('Required. Principal ID of the GPU cluster identity.')
param gpuClusterPrincipalId string

@description('Optional. Principal ID of a developer or pipeline to grant data access to; empty grants nothing.')
param developerPrincipalId string = ''

@description('Optional. Type of the developer principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param developerPrincipalType string = 'User'

// Built-in role definition IDs (the same in every tenant).
var roleDefinitionIds = {
  AzureMLDataScientist: 'f6c7c914-8db3-469d-8ca1-694a8f32e121'
  AzureServiceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  AzureServiceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  KeyVaultCryptoOfficer: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603'
  KeyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  MonitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  StorageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  StorageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  StorageFileDataPrivilegedContributor: '69566ab7-960f-475b-8e7c-b3118f30c6bd'
  StorageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  StorageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

var hasDeveloper = !empty(developerPrincipalId)

var app = {
  principalId: functionAppPrincipalId
  principalType: 'ServicePrincipal'
}
var mlWorkspace = {
  principalId: mlWorkspacePrincipalId
  principalType: 'ServicePrincipal'
}
var gpuCluster = {
  principalId: gpuClusterPrincipalId
  principalType: 'ServicePrincipal'
}
var developer = {
  principalId: developerPrincipalId
  principalType: developerPrincipalType
}

var storageGrants = concat(
  [
    // Functions host, Durable task hub (blobs, queues, tables) and the pipeline's data lanes.
    union(app, { role: 'StorageBlobDataOwner' })
    union(app, { role: 'StorageQueueDataContributor' })
    union(app, { role: 'StorageTableDataContributor' })
    // Identity-based default datastores of the workspace.
    union(mlWorkspace, { role: 'StorageBlobDataContributor' })
    union(mlWorkspace, { role: 'StorageFileDataPrivilegedContributor' })
    // Jobs read curated shards and write checkpoints and model files.
    union(gpuCluster, { role: 'StorageBlobDataContributor' })
  ],
  hasDeveloper
    ? [
        union(developer, { role: 'StorageBlobDataContributor' })
        union(developer, { role: 'StorageQueueDataContributor' })
      ]
    : []
)

var keyVaultGrants = concat(
  [
    // Sign and verify manifests with the signing key; the key material never leaves the vault.
    union(app, { role: 'KeyVaultCryptoUser' })
  ],
  hasDeveloper ? [union(developer, { role: 'KeyVaultCryptoOfficer' })] : []
)

var serviceBusGrants = concat(
  [
    union(app, { role: 'AzureServiceBusDataSender' })
  ],
  hasDeveloper ? [union(developer, { role: 'AzureServiceBusDataReceiver' })] : []
)

var mlWorkspaceGrants = concat(
  [
    // Submit jobs, register models, manage online endpoints and their traffic.
    union(app, { role: 'AzureMLDataScientist' })
  ],
  hasDeveloper ? [union(developer, { role: 'AzureMLDataScientist' })] : []
)

var applicationInsightsGrants = [
  // Telemetry ingestion with Entra ID (local auth is disabled on the component).
  union(app, { role: 'MonitoringMetricsPublisher' })
]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2025-06-01' existing = {
  name: mlWorkspaceName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource storageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in storageGrants: {
    name: guid(storage.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource keyVaultRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in keyVaultGrants: {
    name: guid(keyVault.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: keyVault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource serviceBusRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in serviceBusGrants: {
    name: guid(serviceBus.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource mlWorkspaceRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in mlWorkspaceGrants: {
    name: guid(workspace.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: workspace
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource applicationInsightsRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in applicationInsightsGrants: {
    name: guid(applicationInsights.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

@description('Number of role assignments this module makes.')
output assignmentCount int = length(storageGrants) + length(keyVaultGrants) + length(serviceBusGrants) + length(mlWorkspaceGrants) + length(applicationInsightsGrants)
