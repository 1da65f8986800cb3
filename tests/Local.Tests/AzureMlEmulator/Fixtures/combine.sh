#!/bin/sh
# Reads every .txt of an input folder, writes their concatenation to an output folder.
set -e
cat "$1"/*.txt > "$2/combined.txt"
echo "run $AZUREML_RUN_ID $GREETING" >> "$2/combined.txt"
python3 -c "print('python3 shim ok')" >> "$2/combined.txt"
