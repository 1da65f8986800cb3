#!/usr/bin/env bash
# Subscribes the function app's BlobDropTrigger to blob-created events under incoming/ (bicep/modules/blob-events.bicep).
# It runs after the code is deployed because the webhook URL carries the host's blobs_extension system key, which
# exists only once the blob trigger's extension has started. Reads the azd environment (main.bicep's outputs).
#
#   blob-events.sh             create or update the subscription; fail if the key never appears
#   blob-events.sh --if-ready  the same, but skip quietly when the code is not deployed yet (first `azd provision`)
#
# POSIX sh on purpose: azd runs posix hooks with sh.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-}

: "${AZURE_SUBSCRIPTION_ID:?run through azd: AZURE_SUBSCRIPTION_ID is not set}"
: "${AZURE_RESOURCE_GROUP:?run through azd: AZURE_RESOURCE_GROUP is not set}"
: "${AZURE_FUNCTION_APP_NAME:?run through azd after provisioning: AZURE_FUNCTION_APP_NAME is not set}"
: "${AZURE_EVENTGRID_DATA_TOPIC:?run through azd after provisioning: AZURE_EVENTGRID_DATA_TOPIC is not set}"
: "${AZURE_STORAGE_DATA_ACCOUNT:?run through azd after provisioning: AZURE_STORAGE_DATA_ACCOUNT is not set}"

host_keys="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP/providers/Microsoft.Web/sites/$AZURE_FUNCTION_APP_NAME/host/default/listkeys?api-version=2024-04-01"

# The key appears once the host has started with the new code; a Flex app may take a minute to come up.
attempts=1
[ "$mode" = "--if-ready" ] || attempts=12
while :; do
  key=$(az rest --method post --uri "$host_keys" --query "systemKeys.blobs_extension" --output tsv 2>/dev/null || true)
  [ -n "$key" ] && break
  attempts=$((attempts - 1))
  if [ "$attempts" -le 0 ]; then
    if [ "$mode" = "--if-ready" ]; then
      echo "blob-events: $AZURE_FUNCTION_APP_NAME has no blobs_extension key yet (code not deployed); postdeploy will subscribe it."
      exit 0
    fi
    echo "blob-events: the blobs_extension key of $AZURE_FUNCTION_APP_NAME never appeared; is the code deployed and the host running?" >&2
    exit 1
  fi
  sleep 10
done

echo "blob-events: subscribing $AZURE_FUNCTION_APP_NAME/BlobDropTrigger to BlobCreated under incoming/ on $AZURE_STORAGE_DATA_ACCOUNT"
az deployment group create \
  --subscription "$AZURE_SUBSCRIPTION_ID" \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "blob-events-${AZURE_ENV_NAME:-genai}" \
  --template-file "$here/../modules/blob-events.bicep" \
  --parameters \
    systemTopicName="$AZURE_EVENTGRID_DATA_TOPIC" \
    functionAppName="$AZURE_FUNCTION_APP_NAME" \
    dataStorageAccountName="$AZURE_STORAGE_DATA_ACCOUNT" \
  --output none
