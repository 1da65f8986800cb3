// A monthly cost budget on the resource group: e-mails (and the action group) at 80 % of actual spend and
// when the month's forecast passes 100 %. Spot training bounds each job; this bounds the month.

@description('Required. Name of the budget.')
param name string

@description('Required. Monthly amount, in the billing currency of the subscription.')
@minValue(1)
param amount int

@description('Required. First day of the first budget month (yyyy-MM-01); it may not lie in a past month when the budget is created.')
param startDate string

@description('Optional. E-mail addresses notified at the thresholds.')
param contactEmails string[] = []

@description('Optional. Resource IDs of action groups notified at the thresholds.')
param actionGroupIds string[] = []

var contacts = {
  contactEmails: contactEmails
  contactGroups: actionGroupIds
  // Owners of the resource group always hear of it, so a budget without e-mails still notifies someone.
  contactRoles: [
    'Owner'
  ]
}

resource budget 'Microsoft.Consumption/budgets@2023-11-01' = {
  name: name
  properties: {
    category: 'Cost'
    amount: amount
    timeGrain: 'Monthly'
    timePeriod: {
      startDate: startDate
    }
    notifications: {
      actual80: union(contacts, {
        enabled: true
        operator: 'GreaterThan'
        threshold: 80
        thresholdType: 'Actual'
      })
      forecast100: union(contacts, {
        enabled: true
        operator: 'GreaterThan'
        threshold: 100
        thresholdType: 'Forecasted'
      })
    }
  }
}

@description('Name of the budget.')
output name string = budget.name
