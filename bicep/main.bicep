// GenAiServerless on Azure: storage lanes, the Durable Functions app, monitoring, Key Vault signing,
// Service Bus lifecycle events and Azure ML (workspace + low-priority GPU cluster).
// Every connection is identity-based; every role assignment lives in modules/rbac.bicep.

targetScope = 'resourceGroup'

@description('Required. Name of the environment (e.g. dev, prod); it seeds resource names and tags.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Optional. Azure region of every resource.')
param location string = resourceGroup().location

@description('Optional. Principal ID of a developer or pipeline that gets data access; empty grants nothing.')
param principalId string = ''

@description('Optional. Type of that principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Optional. Models the pipeline manages (names of the incoming/{model}/ folders).')
param models string[] = [
  'tiny-lm'
]

@description('Optional. Six-field cron expression (UTC) of the off-peak retrain schedule.')
param retrainCron string = '0 0 2 * * *'

@description('Optional. VM size of the low-priority GPU training cluster.')
param gpuVmSize string = 'Standard_NC24ads_A100_v4'

@description('Optional. Most nodes the GPU cluster may scale out to.')
@minValue(1)
param gpuMaxNodeCount int = 2

@description('Optional. Most instances the function app may scale out to.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Optional. Extra tags applied to every resource.')
param tags object = {}

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var allTags = union(tags, { 'azd-env-name': environmentName })

var pipelineContainers = [
  'incoming'
  'curated'
  'quarantine'
  'models'
  'registry'
]
var deploymentContainerName = 'app-package'
var signingKeyName = 'manifest-signing'
var lifecycleTopicName = 'model-lifecycle'

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${abbrs.managedIdentityUserAssignedIdentities}func-${resourceToken}'
  location: location
  tags: allTags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: allTags
    containerNames: concat(pipelineContainers, [deploymentContainerName])
    queueNames: [
      'drift-alerts'
      'pipeline-events'
    ]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: allTags
    signingKeyName: signingKeyName
    signingKeySize: 3072
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: allTags
    topicName: lifecycleTopicName
  }
}

module ml 'modules/ml.bicep' = {
  name: 'ml'
  params: {
    name: '${abbrs.machineLearningServicesWorkspaces}${resourceToken}'
    location: location
    tags: allTags
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    gpuClusterName: '${abbrs.machineLearningServicesComputeGPU}spot'
    gpuVmSize: gpuVmSize
    gpuMaxNodeCount: gpuMaxNodeCount
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    mlWorkspaceName: ml.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    functionAppPrincipalId: appIdentity.properties.principalId
    mlWorkspacePrincipalId: ml.outputs.principalId
    gpuClusterPrincipalId: ml.outputs.gpuClusterPrincipalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
  }
}

module functions 'modules/functions.bicep' = {
  name: 'functions'
  // The host must not start before its identity can reach storage.
  dependsOn: [
    rbac
  ]
  params: {
    name: '${abbrs.webSitesFunctions}${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: allTags
    identityId: appIdentity.id
    identityClientId: appIdentity.properties.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    maximumInstanceCount: functionMaximumInstanceCount
    appSettings: {
      Pipeline__Models: join(models, ',')
      Schedule__RetrainCron: retrainCron
      Storage__BlobServiceUri: storage.outputs.blobEndpoint
      Storage__QueueServiceUri: storage.outputs.queueEndpoint
      AzureMl__SubscriptionId: subscription().subscriptionId
      AzureMl__ResourceGroup: resourceGroup().name
      AzureMl__WorkspaceName: ml.outputs.name
      AzureMl__ComputeName: ml.outputs.gpuClusterName
      KeyVault__VaultUri: keyVault.outputs.uri
      KeyVault__SigningKeyName: keyVault.outputs.signingKeyName
      ServiceBus__FullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
      ServiceBus__TopicName: serviceBus.outputs.topicName
    }
  }
}

@description('Azure region of the deployment.')
output AZURE_LOCATION string = location

@description('Client ID of the identity the function app runs as.')
output AZURE_CLIENT_ID string = appIdentity.properties.clientId

@description('Name of the function app.')
output AZURE_FUNCTION_APP_NAME string = functions.outputs.name

@description('Base URL of the function app.')
output AZURE_FUNCTION_APP_URL string = 'https://${functions.outputs.defaultHostName}'

@description('Name of the storage account.')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Blob endpoint of the storage account.')
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint

@description('Queue endpoint of the storage account.')
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint

@description('URI of the key vault.')
output AZURE_KEY_VAULT_URI string = keyVault.outputs.uri

@description('Name of the manifest signing key.')
output AZURE_KEY_VAULT_SIGNING_KEY_NAME string = keyVault.outputs.signingKeyName

@description('Fully qualified Service Bus namespace.')
output AZURE_SERVICE_BUS_NAMESPACE string = serviceBus.outputs.fullyQualifiedNamespace

@description('Name of the lifecycle events topic.')
output AZURE_SERVICE_BUS_TOPIC string = serviceBus.outputs.topicName

@description('Name of the Azure ML workspace.')
output AZURE_ML_WORKSPACE_NAME string = ml.outputs.name

@description('Name of the low-priority GPU cluster.')
output AZURE_ML_GPU_CLUSTER_NAME string = ml.outputs.gpuClusterName

@description('Application Insights connection string (ingestion needs Entra ID: local auth is disabled).')
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
