"""The scoring script of an online deployment (Azure ML's inference server calls init() once and run() per request).

The deployment's code asset is the training components folder: ngram/ (the n-gram trainer, whose `serve` command
keeps a model loaded) and causal_lm/ (the PyTorch trainer). The registered model's files are under
AZUREML_MODEL_DIR (Azure ML puts the registered folder's name under it): a model.json means an n-gram model, a
config.json a causal_lm one. A request is {"prompt": "...", "maxTokens"?, "seed"?, "temperature"?}, answered
{"completion": "..."}; or {"text": "..."}, answered with the text's loss {"bits": ..., "bytes": ...}, the figures the
evaluation job writes to examples.jsonl for it (what the rollout's quality probe compares deployments with).
"""

import json
import os
import subprocess
import sys
import threading

_HERE = os.path.dirname(os.path.abspath(__file__))
_model = None


def _find(root, marker):
    for folder, _, files in os.walk(root):
        if marker in files:
            return folder
    return None


class _NGram:
    """The n-gram trainer's `serve` process: one request line in, one answer line out, behind a lock."""

    def __init__(self, folder):
        # The launcher restores the execute bit a code asset loses in blob storage (or runs a copy that has it).
        launcher = os.path.join(_HERE, "ngram", "genai-trainer.sh")
        self._process = subprocess.Popen(["sh", launcher, "serve", "--model", folder], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=sys.stderr, text=True, bufsize=1)
        ready = json.loads(self._process.stdout.readline() or "{}")
        if not ready.get("ready"):
            raise RuntimeError(f"genai-trainer serve did not start for {folder}")
        self._lock = threading.Lock()

    def complete(self, request):
        with self._lock:
            self._process.stdin.write(json.dumps(request) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("genai-trainer serve stopped")
        return json.loads(line)

    def loss(self, text):
        return self.complete({"text": text})


class _CausalLm:
    def __init__(self, folder):
        sys.path.insert(0, _HERE)
        from causal_lm import inference, sampling, serve
        self._sampling = sampling
        self._serve = serve
        self._model = inference.load(folder, "auto")

    def loss(self, text):
        return self._serve.loss(self._model, text)

    def complete(self, request):
        completion, _ = self._sampling.complete(self._model, request["prompt"], int(request.get("maxTokens") or 32),
                                                float(request.get("temperature") or 0.8), int(request.get("seed") or 1))
        return {"completion": completion}


def init():
    global _model
    root = os.environ.get("AZUREML_MODEL_DIR", "")
    folder = _find(root, "model.json")
    if folder is not None:
        _model = _NGram(folder)
        return
    folder = _find(root, "config.json")
    if folder is not None:
        _model = _CausalLm(folder)
        return
    raise RuntimeError(f"no model under AZUREML_MODEL_DIR={root!r}: expected model.json (n-gram) or config.json (causal_lm)")


def run(raw_data):
    try:
        request = json.loads(raw_data)
    except ValueError as error:
        return {"error": f"the body is not JSON: {error}"}
    if isinstance(request, dict) and "text" in request and "prompt" not in request:
        if not isinstance(request["text"], str):
            return {"error": "field 'text' must be a string"}
        return _model.loss(request["text"])
    if not isinstance(request, dict) or not isinstance(request.get("prompt"), str) or not request["prompt"].strip():
        return {"error": "field 'prompt' is missing or empty"}
    return _model.complete(request)
