// Flex Consumption function app (Linux, .NET 10 isolated worker) that hosts the triggers and the
// Durable orchestrations. It runs as a user-assigned identity and reaches storage without keys; a second
// identity, used by nothing but the platform's deployment, writes and reads the code package.

@description('Required. Name of the function app.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Azure region of the resources.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Required. Resource ID of the user-assigned identity the app runs as (its settings name its client ID).')
param identityId string

@description('Required. Resource ID of the user-assigned identity that only writes and reads the deployment package.')
param deploymentIdentityId string

@description('Required. Blob endpoint of the host storage account that holds the deployment package.')
param deploymentStorageBlobEndpoint string

@description('Required. Blob container that holds the deployment package.')
param deploymentContainerName string

@description('Required. Every app setting of the app (host and pipeline); main.bicep builds them in one place.')
param appSettings object

@description('Optional. Resource ID of a subnet delegated to Microsoft.App/environments for VNet integration; empty for none.')
param virtualNetworkSubnetId string = ''

@description('Optional. Most instances the app may scale out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
      '${deploymentIdentityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Inbound stays public even with private networking: Event Grid delivers blob events to the
    // blobs_extension webhook over the internet, and the HTTP API is the pipeline's front door.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${deploymentStorageBlobEndpoint}${deploymentContainerName}'
          // The platform's one-deploy writes the package with this identity (azd deploy calls it), and the
          // instances read it with it. The runtime identity cannot write this container (rbac.bicep).
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: deploymentIdentityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }

  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

@description('Name of the function app.')
output name string = functionApp.name

@description('Resource ID of the function app.')
output id string = functionApp.id

@description('Default host name of the function app.')
output defaultHostName string = functionApp.properties.defaultHostName
