#!/usr/bin/env bash
# azd postdeploy: the code (and so the blob trigger's webhook and its key) now exists; wire Event Grid to it.
set -eu
exec sh "$(dirname "$0")/blob-events.sh"
