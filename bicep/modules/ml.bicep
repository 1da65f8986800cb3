// Azure ML workspace (training, evaluation, registry and managed online endpoints) and a
// low-priority GPU cluster that scales to zero, so idle time costs nothing and training runs on spot capacity.

@description('Required. Name of the Azure ML workspace.')
param name string

@description('Required. Azure region of the workspace.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Required. Resource ID of the storage account the workspace uses.')
param storageAccountId string

@description('Required. Resource ID of the key vault the workspace uses.')
param keyVaultId string

@description('Required. Resource ID of the Application Insights component the workspace uses.')
param applicationInsightsId string

@description('Optional. Name of the GPU cluster (2-16 letters, digits or hyphens).')
@minLength(2)
@maxLength(16)
param gpuClusterName string = 'gpu-spot'

@description('Optional. VM size of the GPU cluster nodes.')
param gpuVmSize string = 'Standard_NC24ads_A100_v4'

@description('Optional. Most nodes the GPU cluster may scale out to.')
@minValue(1)
param gpuMaxNodeCount int = 2

@description('Optional. Idle time before a node is released (ISO 8601 duration).')
param gpuIdleTimeBeforeScaleDown string = 'PT120S'

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
    // The storage account has shared keys off, so the default datastores authenticate with identity.
    systemDatastoresAuthMode: 'identity'
    publicNetworkAccess: 'Enabled'
    v1LegacyMode: false
  }
}

resource gpuCluster 'Microsoft.MachineLearningServices/workspaces/computes@2025-06-01' = {
  parent: workspace
  name: gpuClusterName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    computeType: 'AmlCompute'
    description: 'Low-priority GPU cluster for training and evaluation jobs; scales to zero.'
    disableLocalAuth: true
    properties: {
      vmSize: gpuVmSize
      vmPriority: 'LowPriority'
      osType: 'Linux'
      remoteLoginPortPublicAccess: 'Disabled'
      enableNodePublicIp: true
      scaleSettings: {
        minNodeCount: 0
        maxNodeCount: gpuMaxNodeCount
        nodeIdleTimeBeforeScaleDown: gpuIdleTimeBeforeScaleDown
      }
    }
  }
}

@description('Name of the Azure ML workspace.')
output name string = workspace.name

@description('Resource ID of the Azure ML workspace.')
output id string = workspace.id

@description('Principal ID of the workspace system-assigned identity.')
output principalId string = workspace.identity.principalId

@description('Name of the GPU cluster.')
output gpuClusterName string = gpuCluster.name

@description('Principal ID of the GPU cluster system-assigned identity.')
output gpuClusterPrincipalId string = gpuCluster.identity.principalId
