#!/bin/sh
# A training loop in miniature: resumes from the step saved in the checkpoints mount, saves every step, reports
# progress.json there, and writes where it started to its output when done.
set -e
ckpt="$1"; out="$2"; total=6
step=0
if [ -f "$ckpt/step" ]; then step=$(cat "$ckpt/step"); fi
start=$step
while [ "$step" -lt "$total" ]; do
  step=$((step + 1))
  echo "$step" > "$ckpt/step"
  printf '{"step": %d, "totalSteps": %d}' "$step" "$total" > "$ckpt/progress.json"
  sleep 0.25
done
echo "started at $start" > "$out/result.txt"
