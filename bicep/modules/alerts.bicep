// Operations alerts: an action group (optional e-mail receiver) and log search alerts on Application
// Insights for the two events an operator must hear about: a pipeline run that failed and a rollout that
// rolled back. The worker logs them as messages starting with exactly these words.

@description('Required. Name of the action group.')
param actionGroupName string

@description('Required. Prefix of the alert rule names.')
param alertNamePrefix string

@description('Required. Azure region of the alert rules (that of Application Insights).')
param location string

@description('Optional. Tags applied to every resource.')
param tags object = {}

@description('Required. Resource ID of the Application Insights component the worker logs to.')
param applicationInsightsId string

@description('Optional. E-mail address that receives the alerts; empty for an action group without receivers.')
param alertEmail string = ''

@description('Optional. How often the alert queries run and how far back they look (ISO 8601 duration).')
param evaluationFrequency string = 'PT5M'

// The log lines the worker writes; the alert queries match their start.
var pipelineFailedMessage = 'Pipeline run failed'
var rolloutRolledBackMessage = 'Rollout rolled back'

var rules = [
  {
    name: 'pipeline-failed'
    displayName: 'GenAI pipeline run failed'
    description: 'A pipeline run ended in failure (the worker logged "${pipelineFailedMessage}").'
    severity: 1
    message: pipelineFailedMessage
  }
  {
    name: 'rollout-rolled-back'
    displayName: 'GenAI rollout rolled back'
    description: 'A progressive rollout was rolled back (the worker logged "${rolloutRolledBackMessage}").'
    severity: 2
    message: rolloutRolledBackMessage
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'genai-ops'
    enabled: true
    emailReceivers: empty(alertEmail)
      ? []
      : [
          {
            name: 'operator'
            emailAddress: alertEmail
            useCommonAlertSchema: true
          }
        ]
  }
}

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${alertNamePrefix}${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: evaluationFrequency
      windowSize: evaluationFrequency
      criteria: {
        allOf: [
          {
            // traces: the worker's ILogger messages, workspace-based Application Insights schema.
            query: 'traces | where message startswith "${rule.message}"'
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: false
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

@description('Resource ID of the action group.')
output actionGroupId string = actionGroup.id

@description('Names of the log search alert rules.')
output alertRuleNames string[] = [for (rule, i) in rules: logAlerts[i].name]
