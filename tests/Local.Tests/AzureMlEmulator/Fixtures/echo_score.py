# A scoring script in Azure ML's shape (init() once, run(raw) per request), for the emulator's tests.
import json
import os
import time

model = None


def init():
    global model
    if os.environ.get("ECHO_FAIL_INIT"):
        raise ValueError(os.environ["ECHO_FAIL_INIT"])
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.json")) as f:
        model = json.load(f)
    print("echo model loaded:", model["name"])


def run(raw):
    request = json.loads(raw)
    if request.get("raise"):
        raise RuntimeError(request["raise"])
    if request.get("sleep"):
        time.sleep(request["sleep"])
    return {"echo": request, "model": model["name"], "deployment": os.environ.get("DEPLOYMENT_NAME", "")}
