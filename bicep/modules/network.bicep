// Private networking: a VNet with a subnet for the function app's VNet integration and one for private
// endpoints, the private DNS zones those endpoints register in (linked to the VNet), and the endpoints.

@description('Required. Name of the virtual network.')
param name string

@description('Required. Azure region of the resources.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Optional. Address space of the virtual network.')
param addressPrefix string = '10.40.0.0/16'

@description('Optional. Subnet for the function app\'s outbound traffic (delegated to Microsoft.App/environments, as Flex Consumption needs).')
param functionsSubnetPrefix string = '10.40.1.0/24'

@description('Optional. Subnet for the private endpoints.')
param privateEndpointsSubnetPrefix string = '10.40.2.0/24'

@description('Required. Prefix of private endpoint names.')
param privateEndpointNamePrefix string

@description('Required. Private endpoints to create: each { name, resourceId, groupId, zones } with zones among privateDnsZoneNames.')
param privateEndpoints array

@description('Required. Private DNS zone names the endpoints register in.')
param privateDnsZoneNames string[]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'functions'
        properties: {
          addressPrefix: functionsSubnetPrefix
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointsSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }

  resource functionsSubnet 'subnets' existing = {
    name: 'functions'
  }

  resource privateEndpointsSubnet 'subnets' existing = {
    name: 'private-endpoints'
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for zone in privateDnsZoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (zone, i) in privateDnsZoneNames: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in privateEndpoints: {
    name: '${privateEndpointNamePrefix}${endpoint.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: vnet::privateEndpointsSubnet.id
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: endpoint.resourceId
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
    }
  }
]

resource endpointZoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, i) in privateEndpoints: {
    parent: endpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        for zone in endpoint.zones: {
          name: replace(zone, '.', '-')
          properties: {
            privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', zone)
          }
        }
      ]
    }
    dependsOn: [
      zones
    ]
  }
]

@description('Resource ID of the virtual network.')
output id string = vnet.id

@description('Resource ID of the subnet the function app integrates with.')
output functionsSubnetId string = vnet::functionsSubnet.id
