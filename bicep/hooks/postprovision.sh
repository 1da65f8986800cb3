#!/usr/bin/env bash
# azd postprovision: on a re-provision of an app that already runs, refresh the blob-created subscription (the
# module may have changed); on the first provision there is no code yet, and postdeploy subscribes it instead.
set -eu
exec sh "$(dirname "$0")/blob-events.sh" --if-ready
