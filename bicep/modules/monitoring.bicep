// Log Analytics workspace + workspace-based Application Insights (local auth off: ingestion by Entra ID).

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Required. Azure region of the resources.')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Optional. Days the Log Analytics workspace keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

@description('Resource ID of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = logAnalytics.id

@description('Name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name

@description('Resource ID of the Application Insights component.')
output applicationInsightsId string = applicationInsights.id

@description('Connection string of Application Insights (no secret: local auth is disabled, ingestion needs Entra ID).')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
