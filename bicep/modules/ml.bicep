// Azure ML workspace (training, evaluation, registry and managed online endpoints), a low-priority and a
// dedicated GPU cluster that scale to zero and run as their own user-assigned identity, and identity-based datastores
// over the data account's containers, so jobs read curated shards and write models and checkpoints there,
// and model assets point at the registered files in the registry container.

@description('Required. Name of the Azure ML workspace.')
param name string

@description('Required. Azure region of the workspace.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Required. Resource ID of the workspace\'s own default storage account (code assets, logs).')
param storageAccountId string

@description('Required. Resource ID of the key vault the workspace uses.')
param keyVaultId string

@description('Required. Resource ID of the Application Insights component the workspace uses.')
param applicationInsightsId string

@description('Required. Name of the pipeline\'s data storage account that the datastores point at.')
param dataStorageAccountName string

@description('Required. Datastores to create: datastore name to container name in the data account.')
param datastores object

@description('Required. Resource ID of the user-assigned identity the GPU cluster (and so every job on it) runs as.')
param gpuIdentityId string

@description('Optional. Name of the GPU cluster (2-16 letters, digits or hyphens).')
@minLength(2)
@maxLength(16)
param gpuClusterName string = 'gpu-spot'

@description('Optional. Name of the dedicated GPU cluster (2-16 letters, digits or hyphens): attempts that must not be preempted.')
@minLength(2)
@maxLength(16)
param gpuDedicatedClusterName string = 'gpu-dedicated'

@description('Optional. Most nodes the dedicated GPU cluster may scale out to.')
@minValue(1)
param gpuDedicatedMaxNodeCount int = 1

@description('Optional. VM size of the GPU cluster nodes.')
param gpuVmSize string = 'Standard_NC24ads_A100_v4'

@description('Optional. Most nodes the GPU cluster may scale out to.')
@minValue(1)
param gpuMaxNodeCount int = 2

@description('Optional. Idle time before a node is released (ISO 8601 duration).')
param gpuIdleTimeBeforeScaleDown string = 'PT120S'

@description('Optional. Private networking: public access off, a managed network for compute, a private endpoint rule to the data account.')
param privateNetworking bool = false

resource dataStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: dataStorageAccountName
}

resource workspace 'Microsoft.MachineLearningServices/workspaces@2025-06-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  sku: {
    name: 'Basic'
    tier: 'Basic'
  }
  properties: {
    friendlyName: name
    storageAccount: storageAccountId
    keyVault: keyVaultId
    applicationInsights: applicationInsightsId
    // The storage accounts have shared keys off, so the default datastores authenticate with identity.
    systemDatastoresAuthMode: 'identity'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    // AllowInternetOutbound rather than AllowOnlyApprovedOutbound: jobs pull curated PyTorch images and
    // packages from public registries, which an approved-only network would need a rule for each; data
    // exfiltration is bounded instead by identity (the cluster can write only models and checkpoints).
    // The data account denies public networks, so the managed network reaches it by a private endpoint.
    managedNetwork: privateNetworking
      ? {
          isolationMode: 'AllowInternetOutbound'
          outboundRules: {
            'data-blob': {
              type: 'PrivateEndpoint'
              category: 'UserDefined'
              destination: {
                serviceResourceId: dataStorage.id
                subresourceTarget: 'blob'
                sparkEnabled: false
              }
            }
          }
        }
      : {
          isolationMode: 'Disabled'
        }
    v1LegacyMode: false
  }
}

resource datastoreResources 'Microsoft.MachineLearningServices/workspaces/datastores@2025-06-01' = [
  for datastore in items(datastores): {
    parent: workspace
    name: datastore.key
    properties: {
      datastoreType: 'AzureBlob'
      accountName: dataStorage.name
      containerName: datastore.value
      endpoint: environment().suffixes.storage
      protocol: 'https'
      // Identity-based: a job reads and writes with its compute's identity, so RBAC on the container decides.
      credentials: {
        credentialsType: 'None'
      }
      description: 'The pipeline\'s ${datastore.value} container in the data account.'
    }
  }
]

// Spot attempts run on the low-priority cluster; attempts that must not be preempted (the fallback past the restart
// budget or the deadline) on the dedicated one (AzureMl:ComputeName, AzureMl:DedicatedComputeName). Both scale to
// zero, so the dedicated one costs nothing until a fallback runs; both run as the GPU identity.
var clusters = [
  {
    name: gpuClusterName
    vmPriority: 'LowPriority'
    maxNodeCount: gpuMaxNodeCount
    description: 'Low-priority GPU cluster for spot training and evaluation attempts; scales to zero.'
  }
  {
    name: gpuDedicatedClusterName
    vmPriority: 'Dedicated'
    maxNodeCount: gpuDedicatedMaxNodeCount
    description: 'Dedicated GPU cluster for attempts that must not be preempted; scales to zero.'
  }
]

// One at a time: the workspace serialises compute operations anyway.
@batchSize(1)
resource gpuClusters 'Microsoft.MachineLearningServices/workspaces/computes@2025-06-01' = [
  for cluster in clusters: {
    parent: workspace
    name: cluster.name
    location: location
    tags: tags
    identity: {
      type: 'UserAssigned'
      userAssignedIdentities: {
        '${gpuIdentityId}': {}
      }
    }
    properties: {
      computeType: 'AmlCompute'
      description: cluster.description
      disableLocalAuth: true
      properties: {
        vmSize: gpuVmSize
        vmPriority: cluster.vmPriority
        osType: 'Linux'
        remoteLoginPortPublicAccess: 'Disabled'
        enableNodePublicIp: !privateNetworking
        scaleSettings: {
          minNodeCount: 0
          maxNodeCount: cluster.maxNodeCount
          nodeIdleTimeBeforeScaleDown: gpuIdleTimeBeforeScaleDown
        }
      }
    }
  }
]

@description('Name of the Azure ML workspace.')
output name string = workspace.name

@description('Resource ID of the Azure ML workspace.')
output id string = workspace.id

@description('Principal ID of the workspace system-assigned identity.')
output principalId string = workspace.identity.principalId

@description('Name of the low-priority GPU cluster.')
output gpuClusterName string = gpuClusters[0].name

@description('Name of the dedicated GPU cluster.')
output gpuDedicatedClusterName string = gpuClusters[1].name

@description('Names of the datastores, in the order given.')
output datastoreNames string[] = [for (datastore, i) in items(datastores): datastoreResources[i].name]
