#!/bin/sh
# Runs the Azure ML emulator on the storage of a running `genai up` stack and sets up its workspace as the Bicep does
# (datastores curated, models, checkpoints, registry over the containers of the same names), so the stack can run with
#   --set Training:Backend=AzureMl --set Rollout:Backend=AzureMl --set AzureMl:ArmEndpoint=http://127.0.0.1:5099
#   --set AzureMl:StaticToken=dev --set AzureMl:SubscriptionId=sub --set AzureMl:ResourceGroup=rg
#   --set AzureMl:WorkspaceName=ws --set AzureMl:Region=eastus
# Usage: tests/AzureMlEmulator/with-stack.sh [extra emulator options, e.g. --AutoPreemption:AtProgress 0.3]
# Ctrl+C (or SIGTERM when run in the background) stops the emulator and every job and deployment process it started.
set -eu
root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
home=${GENAI_HOME:-$root/.genai}
port=${EMULATOR_PORT:-5099}
workspace=/subscriptions/sub/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws
[ -f "$home/stack.json" ] || { echo "no running stack in $home: start one with 'dotnet run --project local -- up --set …' first" >&2; exit 1; }
storage=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["StorageConnectionString"])' "$home/stack.json")

dotnet build -v q --nologo "$root/tests/AzureMlEmulator" >/dev/null
"$root/tests/AzureMlEmulator/bin/Debug/net10.0/AzureMlEmulator" --storage "$storage" --port "$port" --token dev "$@" &
emulator=$!
# Background jobs ignore SIGINT; the emulator stops cleanly on SIGTERM (its jobs' and deployments' processes with it).
trap 'kill -TERM $emulator 2>/dev/null; wait $emulator' INT TERM
for _ in $(seq 1 120); do
  curl -s -o /dev/null "http://127.0.0.1:$port/_emulator/faults" && break
  sleep 1
done
for datastore in curated models checkpoints registry; do
  curl -sf -X PUT -H 'Authorization: Bearer dev' -H 'Content-Type: application/json' \
    "http://127.0.0.1:$port$workspace/datastores/$datastore?api-version=2025-12-01" \
    -d "{\"properties\":{\"datastoreType\":\"AzureBlob\",\"accountName\":\"devstoreaccount1\",\"containerName\":\"$datastore\",\"credentials\":{\"credentialsType\":\"None\"}}}" >/dev/null
done
echo "Azure ML emulator ready on http://127.0.0.1:$port (workspace $workspace, token dev)"
wait $emulator
