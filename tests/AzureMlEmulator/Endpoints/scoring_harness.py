"""The Azure ML emulator's scoring harness: Azure ML's inference server in miniature.

Loads the deployment's scoring script by path, sets nothing itself (the emulator passes AZUREML_MODEL_DIR), calls
init() once, then serves one request per stdin line. Protocol (one JSON object per line):
  in:  {"id": <int>, "body": "<raw request text>"}
  out: {"ready": true} | {"ready": false, "error": "..."}     once, after init()
       {"id": <int>, "ok": true, "body": "<run() result>"}     run()'s return value, JSON-serialised unless a str
       {"id": <int>, "ok": false, "error": "..."}              run() raised
The script's own prints go to stderr, which the emulator keeps as the deployment's InferenceServer log.
"""
import importlib.util
import json
import os
import sys
import traceback

protocol = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)  # print() in the scoring script writes to the log, never into the protocol


def send(message):
    protocol.write(json.dumps(message) + "\n")
    protocol.flush()


def describe(error):
    return f"{type(error).__name__}: {error}"


def main(script):
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        spec = importlib.util.spec_from_file_location("score", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.init()
    except BaseException as error:  # noqa: BLE001 - whatever init() raises fails the deployment
        traceback.print_exc()
        sys.stderr.flush()
        send({"ready": False, "error": describe(error)})
        return 1
    print("init() returned; serving", file=sys.stderr, flush=True)
    send({"ready": True})
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            result = module.run(request["body"])
            body = result if isinstance(result, str) else json.dumps(result)
            send({"id": request["id"], "ok": True, "body": body})
        except Exception as error:  # noqa: BLE001 - a failing run() answers that request with an error
            traceback.print_exc()
            sys.stderr.flush()
            send({"id": request["id"], "ok": False, "error": describe(error)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
