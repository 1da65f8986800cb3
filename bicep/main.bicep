// GenAiServerless on Azure: host and data storage, the Durable Functions app, monitoring and alerts, Key
// Vault signing, Service Bus lifecycle events, Azure ML (workspace, identity-based datastores, a
// low-priority GPU cluster), Event Grid for drift, a budget, and optional private networking.
// Every connection is identity-based; every role assignment lives in modules/rbac.bicep.
// The blob-created subscription (modules/blob-events.bicep) is deployed by the azd postdeploy hook.

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

@description('Optional. Most nodes the dedicated GPU cluster (same VM size; attempts that must not be preempted) may scale out to.')
@minValue(1)
param gpuDedicatedMaxNodeCount int = 1

@description('Optional. Most instances the function app may scale out to.')
@minValue(40)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Optional. Private networking: a VNet, VNet integration for the function app, private endpoints for storage, Key Vault, Service Bus (then Premium) and the workspace, public access off.')
param privateNetworking bool = false

@description('Optional. Address space of the VNet (private networking only); the first two /24 subnets are used.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Optional. E-mail address for pipeline-failure and rollback alerts; empty for none.')
param alertEmail string = ''

@description('Optional. Monthly cost budget of the resource group, in the billing currency.')
@minValue(1)
param budgetAmount int = 500

@description('Optional. E-mail addresses told at 80 % of actual and 100 % of forecast spend (resource group owners are always told).')
param budgetContactEmails string[] = []

@description('Optional. First month of the budget (yyyy-MM-01); the current month by default.')
param budgetStartDate string = utcNow('yyyy-MM-01')

@description('Required. Application (client) id of the Entra ID app registration that protects the HTTP API; its app roles Reader, Deployer, Approver and Operator (bicep/api-app-roles.json) are what callers are granted. See README, "HTTP API".')
@minLength(36)
@maxLength(36)
param apiClientId string

@description('Optional. Tenant that issues the API\'s tokens; this deployment\'s tenant by default.')
param apiTenantId string = tenant().tenantId

@description('Optional. Extra tags applied to every resource.')
param tags object = {}

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var allTags = union(tags, { 'azd-env-name': environmentName })

// The data account's containers and queues (orchestrations/Platform/PipelineStorage.cs and the stages).
var pipelineContainers = [
  'incoming'
  'curated'
  'quarantine'
  'models'
  'registry'
  'checkpoints'
  'endpoints'
  'audit'
]
var deadLetterContainerName = 'eventgrid-deadletter'
var pipelineQueues = [
  'drift-alerts'
  'pipeline-events'
]
var driftQueueName = 'drift-alerts'
var deploymentContainerName = 'app-package'
// Azure ML datastore name -> data account container (AzureMlOptions' default datastore names). Jobs mount
// curated, models and checkpoints; model assets point at the registered files in registry.
var datastores = {
  curated: 'curated'
  models: 'models'
  checkpoints: 'checkpoints'
  registry: 'registry'
}
// The GPU of gpuVmSize, from the catalogue the worker prices training with: the compute selector is told the
// cluster's hardware (Training:GpuType, MinGpuMemoryGb, GpuCount), so its estimates price the VM that runs. A size
// outside the catalogue leaves the selector unconstrained (type any, 0 GB, 1 GPU).
var gpuSku = first(filter(
  loadJsonContent('../orchestrations/Training/PriceSnapshot/gpu-skus.json', '.skus'),
  sku => sku.sku == gpuVmSize
))
var signingKeyName = 'manifest-signing'
var lifecycleTopicName = 'model-lifecycle'

var publicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${abbrs.managedIdentityUserAssignedIdentities}func-${resourceToken}'
  location: location
  tags: allTags
}

resource deploymentIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${abbrs.managedIdentityUserAssignedIdentities}deploy-${resourceToken}'
  location: location
  tags: allTags
}

resource gpuIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${abbrs.managedIdentityUserAssignedIdentities}gpu-${resourceToken}'
  location: location
  tags: allTags
}

// The managed online endpoints run as this identity (AzureMl:EndpointIdentityId): their deployments download
// the model from the registry container and the code asset from the workspace storage, and read nothing else.
resource endpointIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${abbrs.managedIdentityUserAssignedIdentities}endpoint-${resourceToken}'
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

// Host account: the Functions host, the Durable task hub and the deployment package. No pipeline data.
module hostStorage 'modules/storage.bicep' = {
  name: 'storage-host'
  params: {
    name: '${abbrs.storageStorageAccounts}host${resourceToken}'
    location: location
    tags: allTags
    containerNames: [
      deploymentContainerName
    ]
    publicNetworkAccess: publicNetworkAccess
    networkDefaultAction: privateNetworking ? 'Deny' : 'Allow'
  }
}

// Data account: the pipeline's lanes and queues. With private networking it keeps public access "Enabled"
// with the firewall denying every network: Event Grid writes drift events and dead letters here as a
// trusted Azure service with its managed identity, which "Disabled" would block. No IP rules, ever.
module dataStorage 'modules/storage.bicep' = {
  name: 'storage-data'
  params: {
    name: '${abbrs.storageStorageAccounts}data${resourceToken}'
    location: location
    tags: allTags
    containerNames: concat(pipelineContainers, [deadLetterContainerName])
    queueNames: pipelineQueues
    networkDefaultAction: privateNetworking ? 'Deny' : 'Allow'
  }
}

// The Azure ML workspace's own default storage (code assets, logs, system datastores).
module mlStorage 'modules/storage.bicep' = {
  name: 'storage-ml'
  params: {
    name: '${abbrs.storageStorageAccounts}ml${resourceToken}'
    location: location
    tags: allTags
    publicNetworkAccess: publicNetworkAccess
    networkDefaultAction: privateNetworking ? 'Deny' : 'Allow'
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
    publicNetworkAccess: publicNetworkAccess
  }
}

// Private endpoints need the Premium tier; Standard is enough (and far cheaper) on public networks.
module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: '${abbrs.serviceBusNamespaces}${resourceToken}'
    location: location
    tags: allTags
    topicName: lifecycleTopicName
    sku: privateNetworking ? 'Premium' : 'Standard'
    publicNetworkAccess: publicNetworkAccess
  }
}

module ml 'modules/ml.bicep' = {
  name: 'ml'
  params: {
    name: '${abbrs.machineLearningServicesWorkspaces}${resourceToken}'
    location: location
    tags: allTags
    storageAccountId: mlStorage.outputs.id
    keyVaultId: keyVault.outputs.id
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    dataStorageAccountName: dataStorage.outputs.name
    datastores: datastores
    gpuIdentityId: gpuIdentity.id
    gpuClusterName: '${abbrs.machineLearningServicesComputeGPU}spot'
    gpuDedicatedClusterName: '${abbrs.machineLearningServicesComputeGPU}dedicated'
    gpuVmSize: gpuVmSize
    gpuMaxNodeCount: gpuMaxNodeCount
    gpuDedicatedMaxNodeCount: gpuDedicatedMaxNodeCount
    privateNetworking: privateNetworking
  }
}

module eventTopics 'modules/event-topics.bicep' = {
  name: 'event-topics'
  params: {
    dataTopicName: '${abbrs.eventGridSystemTopics}data-${resourceToken}'
    mlTopicName: '${abbrs.eventGridSystemTopics}ml-${resourceToken}'
    location: location
    tags: allTags
    dataStorageAccountName: dataStorage.outputs.name
    mlWorkspaceName: ml.outputs.name
  }
}

// Storage private endpoints per account and sub-resource, then Key Vault, Service Bus and the workspace.
var storageZones = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  file: 'privatelink.file.${environment().suffixes.storage}'
}
var keyVaultZone = 'privatelink.vaultcore.azure.net'
var serviceBusZone = 'privatelink.servicebus.windows.net'
var mlZones = [
  'privatelink.api.azureml.ms'
  'privatelink.notebooks.azure.net'
]

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: allTags
    addressPrefix: vnetAddressPrefix
    functionsSubnetPrefix: cidrSubnet(vnetAddressPrefix, 24, 0)
    privateEndpointsSubnetPrefix: cidrSubnet(vnetAddressPrefix, 24, 1)
    privateEndpointNamePrefix: abbrs.networkPrivateEndpoints
    privateDnsZoneNames: concat(
      [
        storageZones.blob
        storageZones.queue
        storageZones.table
        storageZones.file
        keyVaultZone
        serviceBusZone
      ],
      mlZones
    )
    privateEndpoints: [
      { name: 'host-blob', resourceId: hostStorage.outputs.id, groupId: 'blob', zones: [storageZones.blob] }
      { name: 'host-queue', resourceId: hostStorage.outputs.id, groupId: 'queue', zones: [storageZones.queue] }
      { name: 'host-table', resourceId: hostStorage.outputs.id, groupId: 'table', zones: [storageZones.table] }
      { name: 'data-blob', resourceId: dataStorage.outputs.id, groupId: 'blob', zones: [storageZones.blob] }
      { name: 'data-queue', resourceId: dataStorage.outputs.id, groupId: 'queue', zones: [storageZones.queue] }
      { name: 'ml-blob', resourceId: mlStorage.outputs.id, groupId: 'blob', zones: [storageZones.blob] }
      { name: 'ml-file', resourceId: mlStorage.outputs.id, groupId: 'file', zones: [storageZones.file] }
      { name: 'vault', resourceId: keyVault.outputs.id, groupId: 'vault', zones: [keyVaultZone] }
      { name: 'servicebus', resourceId: serviceBus.outputs.id, groupId: 'namespace', zones: [serviceBusZone] }
      { name: 'mlw', resourceId: ml.outputs.id, groupId: 'amlworkspace', zones: mlZones }
    ]
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    hostStorageAccountName: hostStorage.outputs.name
    deploymentContainerName: deploymentContainerName
    dataStorageAccountName: dataStorage.outputs.name
    curatedContainerName: datastores.curated
    gpuWritableContainerNames: [
      datastores.models
      datastores.checkpoints
    ]
    registryContainerName: datastores.registry
    deadLetterContainerName: deadLetterContainerName
    driftQueueName: driftQueueName
    mlStorageAccountName: mlStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    mlWorkspaceName: ml.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    endpointIdentityName: endpointIdentity.name
    functionAppPrincipalId: appIdentity.properties.principalId
    deploymentPrincipalId: deploymentIdentity.properties.principalId
    mlWorkspacePrincipalId: ml.outputs.principalId
    gpuClusterPrincipalId: gpuIdentity.properties.principalId
    endpointPrincipalId: endpointIdentity.properties.principalId
    dataTopicPrincipalId: eventTopics.outputs.dataTopicPrincipalId
    mlTopicPrincipalId: eventTopics.outputs.mlTopicPrincipalId
    developerPrincipalId: principalId
    developerPrincipalType: principalType
  }
}

// Created once the topic's identity may send to the queue.
module driftEvents 'modules/drift-events.bicep' = {
  name: 'drift-events'
  dependsOn: [
    rbac
  ]
  params: {
    systemTopicName: eventTopics.outputs.mlTopicName
    dataStorageAccountName: dataStorage.outputs.name
    queueName: driftQueueName
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
    deploymentIdentityId: deploymentIdentity.id
    deploymentStorageBlobEndpoint: hostStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    virtualNetworkSubnetId: network.?outputs.functionsSubnetId ?? ''
    maximumInstanceCount: functionMaximumInstanceCount
    // Every app setting, in one place. Bicep.Tests builds the worker's container from these and runs its
    // start-up validation, so a required option without a setting here fails `dotnet test`.
    appSettings: {
      // Functions host storage (task hub, keys, timers): the host account, identity-based.
      AzureWebJobsStorage__accountName: hostStorage.outputs.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: appIdentity.properties.clientId
      // The `Storage` connection of the triggers, and the worker's BlobServiceClient/QueueServiceClient.
      Storage__blobServiceUri: dataStorage.outputs.blobEndpoint
      Storage__queueServiceUri: dataStorage.outputs.queueEndpoint
      Storage__credential: 'managedidentity'
      Storage__clientId: appIdentity.properties.clientId
      // DefaultAzureCredential in the worker picks the user-assigned identity by this.
      AZURE_CLIENT_ID: appIdentity.properties.clientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${appIdentity.properties.clientId};Authorization=AAD'
      Pipeline__Models: join(models, ',')
      Schedule__RetrainCron: retrainCron
      AzureMl__SubscriptionId: subscription().subscriptionId
      AzureMl__ResourceGroup: resourceGroup().name
      AzureMl__WorkspaceName: ml.outputs.name
      AzureMl__Region: location
      AzureMl__ComputeName: ml.outputs.gpuClusterName
      AzureMl__DedicatedComputeName: ml.outputs.gpuDedicatedClusterName
      Training__GpuType: gpuSku.?gpuType ?? ''
      Training__MinGpuMemoryGb: string(gpuSku.?gpuMemoryGb ?? 0)
      Training__GpuCount: string(gpuSku.?gpuCount ?? 1)
      AzureMl__CuratedDatastore: datastores.curated
      AzureMl__ModelsDatastore: datastores.models
      AzureMl__CheckpointsDatastore: datastores.checkpoints
      AzureMl__RegistryDatastore: datastores.registry
      // Endpoints the app creates run as the endpoint identity (the app holds Managed Identity Operator on it).
      AzureMl__EndpointIdentityId: endpointIdentity.id
      // Online endpoint names are unique per region across subscriptions: 'e' (a name starts with a letter) and the
      // environment's token keep two environments (or two tenants) from colliding; 10 characters leave 22 of the 32
      // for the model's name.
      AzureMl__EndpointPrefix: 'e${take(resourceToken, 8)}-'
      // Private networking: endpoints take scoring requests only through the workspace's private endpoint (the
      // function app reaches it from the VNet). Deployment egress is not set: with the workspace's managed network
      // (privateNetworking) its outbound rules govern deployments and Azure ML documents the per-deployment flag
      // as not to be set; without it, the default (Enabled) is what a public deployment needs.
      AzureMl__EndpointPublicNetworkAccess: publicNetworkAccess
      // The key that signs registered model manifests (PS256, through the data plane; the key never leaves the vault).
      Signing__KeyVaultUri: keyVault.outputs.uri
      Signing__KeyName: keyVault.outputs.signingKeyName
      ServiceBus__FullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
      ServiceBus__TopicName: serviceBus.outputs.topicName
      // The HTTP API validates Entra ID bearer tokens itself (issuer, audience, signature, lifetime, app roles):
      // its function is anonymous at the Functions level (no function keys) and App Service Authentication is
      // not needed in front of it.
      Api__EntraId__TenantId: apiTenantId
      Api__EntraId__ClientId: apiClientId
    }
  }
}

module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  params: {
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    storageAccountNames: [
      hostStorage.outputs.name
      dataStorage.outputs.name
      mlStorage.outputs.name
    ]
    hostStorageAccountName: hostStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    functionAppName: functions.outputs.name
    mlWorkspaceName: ml.outputs.name
    systemTopicNames: [
      eventTopics.outputs.dataTopicName
      eventTopics.outputs.mlTopicName
    ]
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    alertNamePrefix: '${abbrs.insightsScheduledQueryRules}${resourceToken}-'
    location: location
    tags: allTags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmail: alertEmail
  }
}

module budget 'modules/budget.bicep' = {
  name: 'budget'
  params: {
    name: '${abbrs.consumptionBudgets}${resourceToken}'
    amount: budgetAmount
    startDate: budgetStartDate
    contactEmails: budgetContactEmails
    actionGroupIds: [
      alerts.outputs.actionGroupId
    ]
  }
}

@description('Azure region of the deployment.')
output AZURE_LOCATION string = location

@description('Resource group of the deployment (the postdeploy hook deploys blob-events.bicep there).')
output AZURE_RESOURCE_GROUP string = resourceGroup().name

@description('Client ID of the identity the function app runs as.')
output AZURE_CLIENT_ID string = appIdentity.properties.clientId

@description('Name of the function app (azd deploys the functions service to it; the hook wires its blob trigger).')
output AZURE_FUNCTION_APP_NAME string = functions.outputs.name

@description('Base URL of the function app (HTTP API under /api).')
output AZURE_FUNCTION_APP_URL string = 'https://${functions.outputs.defaultHostName}'

@description('Name of the host storage account (task hub, deployment package).')
output AZURE_STORAGE_HOST_ACCOUNT string = hostStorage.outputs.name

@description('Name of the data storage account (drop data into its incoming container).')
output AZURE_STORAGE_DATA_ACCOUNT string = dataStorage.outputs.name

@description('Blob endpoint of the data storage account.')
output AZURE_STORAGE_BLOB_ENDPOINT string = dataStorage.outputs.blobEndpoint

@description('Queue endpoint of the data storage account.')
output AZURE_STORAGE_QUEUE_ENDPOINT string = dataStorage.outputs.queueEndpoint

@description('Name of the Event Grid system topic on the data account (the hook subscribes the blob trigger to it).')
output AZURE_EVENTGRID_DATA_TOPIC string = eventTopics.outputs.dataTopicName

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

@description('Whether private networking is on.')
output AZURE_PRIVATE_NETWORKING bool = privateNetworking

@description('Application Insights connection string (ingestion needs Entra ID: local auth is disabled).')
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
