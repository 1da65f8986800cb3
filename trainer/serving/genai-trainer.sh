#!/bin/sh
# Runs the n-gram trainer of the components folder: `sh ngram/genai-trainer.sh <command> [options]`.
# A code asset travels through blob storage, which keeps no file modes, so the trainer may arrive without its execute
# bit. Restore it; where the folder is read-only (a mounted code asset), run a copy that can have it.
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
exe="$here/genai-trainer"
if [ ! -x "$exe" ] && ! chmod +x "$exe" 2>/dev/null; then
  copy=$(mktemp -d "${TMPDIR:-/tmp}/genai-trainer.XXXXXX") || exit 1
  cp -R "$here/." "$copy/" && chmod +x "$copy/genai-trainer" || exit 1
  exe="$copy/genai-trainer"
fi
exec "$exe" "$@"
