// Service Bus namespace and the topic that carries model lifecycle events (CloudEvents JSON).
// Local (SAS) auth is off: publishers and subscribers use Entra ID.

@description('Required. Name of the Service Bus namespace.')
@minLength(6)
@maxLength(50)
param name string

@description('Required. Azure region of the namespace.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Optional. Name of the lifecycle events topic.')
param topicName string = 'model-lifecycle'

@description('Optional. Pricing tier. Private endpoints need Premium; Standard is enough on public networks.')
@allowed([
  'Standard'
  'Premium'
])
param sku string = 'Standard'

@description('Optional. Whether the namespace is reachable from public networks: Disabled leaves its private endpoint only (Premium).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Optional. How long an unconsumed event stays on the topic (ISO 8601 duration).')
param messageTimeToLive string = 'P14D'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
    capacity: sku == 'Premium' ? 1 : null
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: publicNetworkAccess
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: topicName
  properties: {
    defaultMessageTimeToLive: messageTimeToLive
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    supportOrdering: true
  }
}

@description('Name of the Service Bus namespace.')
output name string = namespace.name

@description('Resource ID of the Service Bus namespace.')
output id string = namespace.id

@description('Fully qualified host name of the namespace, for identity-based clients.')
output fullyQualifiedNamespace string = replace(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':443/', '')

@description('Name of the lifecycle events topic.')
output topicName string = topic.name
