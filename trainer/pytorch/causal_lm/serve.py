"""``serve``: keeps one model loaded and completes prompts, one JSON request per line on stdin, one JSON answer per
line on stdout. The same line protocol as the n-gram trainer's ``serve``, so a host (the local endpoint host) runs
either family the same way: first ``{"ready": true, …}``, then per request ``{"prompt", "maxTokens"?, "seed"?,
"temperature"?}`` → ``{"completion", "latency_ms"}``, or ``{"text"}`` → ``{"bits", "bytes"}`` (the text's loss, as
``evaluate`` writes it to ``examples.jsonl``), or ``{"error"}``. A bad request gets an error line and the process goes
on; end of input ends it.
"""

import json
import random

from . import inference, sampling, scoring

MAX_TOKENS = 1024


def run(options, stdin, stdout):
    model = inference.load(options.model, options.device)
    _write(stdout, {"ready": True, "family": model.config.get("family"), "context": model.context,
                    "device": model.device.type})
    for line in stdin:
        if line.strip():
            _write(stdout, _answer(model, line, options))
    return 0


def _answer(model, line, options):
    try:
        request = json.loads(line)
    except ValueError as error:
        return {"error": f"not a valid request: {error}"}
    if not isinstance(request, dict):
        return {"error": "not a valid request: expected a JSON object"}
    if "text" in request and "prompt" not in request:
        return loss(model, request["text"])
    prompt = request.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return {"error": "field 'prompt' is missing or empty"}
    max_tokens, seed, temperature = request.get("maxTokens"), request.get("seed"), request.get("temperature")
    for name, value in (("maxTokens", max_tokens), ("seed", seed)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return {"error": f"field '{name}' must be an integer"}
    if temperature is not None and (isinstance(temperature, bool) or not isinstance(temperature, (int, float))):
        return {"error": "field 'temperature' must be a number"}
    max_tokens = options.max_new_tokens if max_tokens is None else min(max(max_tokens, 0), MAX_TOKENS)
    seed = random.randrange(2 ** 31) if seed is None else seed
    temperature = temperature if temperature is not None and temperature > 0 else options.temperature
    completion, latency = sampling.complete(model, prompt, max_tokens, temperature, seed)
    return {"completion": completion, "latency_ms": round(latency, 3)}


def loss(model, text):
    """``{"bits", "bytes"}`` of one text (``scoring.losses``), or ``{"error"}``; shared with ``score.py``."""
    if not isinstance(text, str):
        return {"error": "field 'text' must be a string"}
    [(bits, size)] = scoring.losses(model, [text])
    return {"bits": bits, "bytes": size}


def _write(stream, value):
    stream.write(json.dumps(value, ensure_ascii=False) + "\n")
    stream.flush()
