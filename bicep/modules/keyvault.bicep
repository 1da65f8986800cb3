// Key Vault with RBAC authorization and an RSA signing key for data and model manifests.
// The key never leaves the vault: the app signs and verifies through the data plane.

@description('Required. Name of the key vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region of the key vault.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Optional. Name of the RSA key that signs data and model manifests.')
param signingKeyName string = 'manifest-signing'

@description('Optional. Size in bits of the signing key.')
@allowed([
  3072
  4096
])
param signingKeySize int = 3072

@description('Optional. Whether the vault is reachable from public networks: Disabled leaves its private endpoint only.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Optional. Days a deleted vault or key can be recovered (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource signingKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: signingKeyName
  properties: {
    kty: 'RSA'
    keySize: signingKeySize
    keyOps: [
      'sign'
      'verify'
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

@description('Name of the key vault.')
output name string = vault.name

@description('Resource ID of the key vault.')
output id string = vault.id

@description('Data-plane URI of the key vault.')
output uri string = vault.properties.vaultUri

@description('Name of the signing key.')
output signingKeyName string = signingKey.name

@description('Versionless URI of the signing key.')
output signingKeyUri string = signingKey.properties.keyUri
