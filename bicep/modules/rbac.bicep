// Every role assignment of the deployment, in one place. Each is scoped to the narrowest resource that
// works (a container or a queue where one is enough) and named guid(scope, principal, role), so a
// redeployment finds and keeps the same one.
//
// Who may write what, in short: the GPU cluster (arbitrary training code) writes only the models and
// checkpoints containers and reads curated and registry (an evaluation job re-scores the champion); the online endpoints' identity (the scoring containers) only
// reads the registry container and the workspace storage; none of them nor the workspace has anything on
// the host account; the function app's runtime identity runs the task hub on the host account but cannot
// write the code package, which only the deployment identity (the platform's one-deploy, called by azd
// deploy) writes.

@description('Required. Name of the host storage account (task hub, deployment package).')
param hostStorageAccountName string

@description('Required. Name of the deployment package container in the host account.')
param deploymentContainerName string

@description('Required. Name of the data storage account (the pipeline\'s containers and queues).')
param dataStorageAccountName string

@description('Required. Container of curated shards (the GPU cluster reads it).')
param curatedContainerName string

@description('Required. Containers the GPU cluster writes (model files, checkpoints).')
param gpuWritableContainerNames string[]

@description('Required. Container of registered model versions (the online endpoints and the GPU cluster read it; neither writes).')
param registryContainerName string

@description('Required. Container that takes dead-lettered blob events.')
param deadLetterContainerName string

@description('Required. Queue the drift events are delivered to.')
param driftQueueName string

@description('Required. Name of the Azure ML workspace\'s own default storage account.')
param mlStorageAccountName string

@description('Required. Name of the key vault.')
param keyVaultName string

@description('Required. Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Required. Name of the Azure ML workspace.')
param mlWorkspaceName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Name of the user-assigned identity the online endpoints run as.')
param endpointIdentityName string

@description('Required. Principal ID of the function app\'s runtime identity.')
param functionAppPrincipalId string

@description('Required. Principal ID of the identity that writes the deployment package.')
param deploymentPrincipalId string

@description('Required. Principal ID of the Azure ML workspace identity.')
param mlWorkspacePrincipalId string

@description('Required. Principal ID of the GPU cluster identity.')
param gpuClusterPrincipalId string

@description('Required. Principal ID of the online endpoints\' identity.')
param endpointPrincipalId string

@description('Required. Principal ID of the data account\'s Event Grid system topic (dead letters).')
param dataTopicPrincipalId string

@description('Required. Principal ID of the workspace\'s Event Grid system topic (drift deliveries).')
param mlTopicPrincipalId string

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
  ManagedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830'
  MonitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  StorageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  StorageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  StorageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  StorageFileDataPrivilegedContributor: '69566ab7-960f-475b-8e7c-b3118f30c6bd'
  StorageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  StorageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  StorageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

// ABAC condition on the runtime identity's blob role on the host account: every blob action stays allowed
// except writing, adding to or deleting blobs in the deployment package container.
var packageWriteDeniedCondition = replace(
  '''(
 (
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})
 )
 OR
 (
  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringNotEquals '{container}'
 )
)''',
  '{container}',
  deploymentContainerName
)

var hasDeveloper = !empty(developerPrincipalId)

var app = {
  principalId: functionAppPrincipalId
  principalType: 'ServicePrincipal'
}
var deployment = {
  principalId: deploymentPrincipalId
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
var endpoint = {
  principalId: endpointPrincipalId
  principalType: 'ServicePrincipal'
}
var dataTopic = {
  principalId: dataTopicPrincipalId
  principalType: 'ServicePrincipal'
}
var mlTopic = {
  principalId: mlTopicPrincipalId
  principalType: 'ServicePrincipal'
}
var developer = {
  principalId: developerPrincipalId
  principalType: developerPrincipalType
}

// Host account: the Functions host and the Durable task hub (blobs, queues, tables). Nothing else.
var hostAccountGrants = [
  union(app, { role: 'StorageBlobDataOwner', condition: packageWriteDeniedCondition })
  union(app, { role: 'StorageQueueDataContributor' })
  union(app, { role: 'StorageTableDataContributor' })
]

// The deployment package container: written and read by the deployment identity only.
var hostContainerGrants = [
  union(deployment, { role: 'StorageBlobDataContributor', container: deploymentContainerName })
]

// Data account: the pipeline's lanes and queues (triggers, activities, the drift queue).
var dataAccountGrants = concat(
  [
    union(app, { role: 'StorageBlobDataContributor' })
    union(app, { role: 'StorageQueueDataContributor' })
  ],
  hasDeveloper
    ? [
        union(developer, { role: 'StorageBlobDataContributor' })
        union(developer, { role: 'StorageQueueDataContributor' })
      ]
    : []
)

// Data containers: jobs read curated shards and write model files and checkpoints, nothing else; an
// evaluation job also reads the champion's registered files (read-only: training code can never rewrite a
// registered model); online deployments download the registered model (the model asset's registry
// datastore, identity-based, read with the endpoint identity); Event Grid dead-letters undeliverable blob
// events.
var dataContainerGrants = concat(
  [
    union(gpuCluster, { role: 'StorageBlobDataReader', container: curatedContainerName })
    union(gpuCluster, { role: 'StorageBlobDataReader', container: registryContainerName })
  ],
  map(gpuWritableContainerNames, name => union(gpuCluster, { role: 'StorageBlobDataContributor', container: name })),
  [
    union(endpoint, { role: 'StorageBlobDataReader', container: registryContainerName })
    union(dataTopic, { role: 'StorageBlobDataContributor', container: deadLetterContainerName })
  ]
)

// Data queues: Event Grid puts drift events on the drift queue.
var dataQueueGrants = [
  union(mlTopic, { role: 'StorageQueueDataMessageSender', queue: driftQueueName })
]

// The workspace's own storage: its system datastores (identity-based); jobs and online deployments read the
// code asset from it. Azure ML grants a system-assigned endpoint identity Storage Blob Data Reader on the
// workspace's default datastore by itself, a user-assigned one nothing (Azure ML docs, "Authentication for
// managed online endpoints"), so the endpoint identity's grant is here. No AcrPull: the template creates no
// container registry (the scoring image is a curated one from the azureml registry).
var mlStorageGrants = [
  union(mlWorkspace, { role: 'StorageBlobDataContributor' })
  union(mlWorkspace, { role: 'StorageFileDataPrivilegedContributor' })
  union(gpuCluster, { role: 'StorageBlobDataReader' })
  union(endpoint, { role: 'StorageBlobDataReader' })
]

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
    // Submit jobs, register models, manage online endpoints and their traffic. The role allows
    // workspaces/*/read, write, delete and action but the workspace itself and compute: that covers
    // onlineEndpoints (and their deployments) write and delete, listKeys, token and getLogs.
    union(app, { role: 'AzureMLDataScientist' })
  ],
  hasDeveloper ? [union(developer, { role: 'AzureMLDataScientist' })] : []
)

var applicationInsightsGrants = [
  // Telemetry ingestion with Entra ID (local auth is disabled on the component).
  union(app, { role: 'MonitoringMetricsPublisher' })
]

// The app attaches the endpoint identity to the online endpoints it creates (Managed Identity Operator on that
// identity alone). Nothing on the GPU identity: the Bicep attaches it to the clusters, and a job runs as its
// compute's identity (identityType Managed) without the app ever assigning it.
var identityGrants = [
  union(app, { role: 'ManagedIdentityOperator', identity: endpointIdentityName })
]

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: hostStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }
}

resource hostContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [
  for grant in hostContainerGrants: {
    parent: hostStorage::blobService
    name: grant.container
  }
]

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'
  }

  resource queueService 'queueServices' existing = {
    name: 'default'
  }
}

resource dataContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [
  for grant in dataContainerGrants: {
    parent: dataStorage::blobService
    name: grant.container
  }
]

resource dataQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' existing = [
  for grant in dataQueueGrants: {
    parent: dataStorage::queueService
    name: grant.queue
  }
]

resource mlStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: mlStorageAccountName
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

resource identities 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = [
  for grant in identityGrants: {
    name: grant.identity
  }
]

resource hostAccountRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in hostAccountGrants: {
    name: guid(hostStorage.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: hostStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
      condition: grant.?condition
      conditionVersion: contains(grant, 'condition') ? '2.0' : null
    }
  }
]

resource hostContainerRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in hostContainerGrants: {
    name: guid(hostContainers[i].id, grant.principalId, roleDefinitionIds[grant.role])
    scope: hostContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource dataAccountRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in dataAccountGrants: {
    name: guid(dataStorage.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: dataStorage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource dataContainerRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in dataContainerGrants: {
    name: guid(dataContainers[i].id, grant.principalId, roleDefinitionIds[grant.role])
    scope: dataContainers[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource dataQueueRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in dataQueueGrants: {
    name: guid(dataQueues[i].id, grant.principalId, roleDefinitionIds[grant.role])
    scope: dataQueues[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

resource mlStorageRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in mlStorageGrants: {
    name: guid(mlStorage.id, grant.principalId, roleDefinitionIds[grant.role])
    scope: mlStorage
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

resource identityRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (grant, i) in identityGrants: {
    name: guid(identities[i].id, grant.principalId, roleDefinitionIds[grant.role])
    scope: identities[i]
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionIds[grant.role])
      principalId: grant.principalId
      principalType: grant.principalType
    }
  }
]

@description('Number of role assignments this module makes.')
output assignmentCount int = length(hostAccountGrants) + length(hostContainerGrants) + length(dataAccountGrants) + length(dataContainerGrants) + length(dataQueueGrants) + length(mlStorageGrants) + length(keyVaultGrants) + length(serviceBusGrants) + length(mlWorkspaceGrants) + length(applicationInsightsGrants) + length(identityGrants)
