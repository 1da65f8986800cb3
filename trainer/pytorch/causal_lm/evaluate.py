"""``evaluate``: scores every test (and eval-set) example in bits per byte and samples completions.

bits(example) = sum over its tokens after BOS, EOS included, of -log2 p(token | all before it);
bits_per_byte = bits / (UTF-8 bytes of the text). Per byte, not per token, so models with different
tokenizers (bytes here, BPE for Hugging Face models, words for the n-gram model) compare directly.
"""

import math
import os

from . import atomic, inference, sampling, scoring
from .data import parse_line, read_folder, read_split
from .errors import JobError

PROMPT_WORDS = 3


def run(options, log=print):
    model = inference.load(options.model, options.device)
    test = read_split(options.data, "test")
    if not test:
        raise JobError(f"{options.data}: the test split is empty (no records in test-*.jsonl)")
    sets = [("test", test)]
    if options.eval_set is not None:
        extra = read_folder(options.eval_set)
        if not extra:
            raise JobError(f"{options.eval_set}: the eval set is empty (no records in *.jsonl)")
        sets.append(("eval", extra))

    os.makedirs(options.out, exist_ok=True)
    rows, metrics = [], {}
    for name, examples in sets:
        total_bits = total_bytes = 0
        for example, (example_bits, size) in zip(examples, scoring.losses(model, [e.text for e in examples])):
            # An empty text has no bytes to spread its EOS over; null says so instead of dividing by zero.
            rows.append({"set": name, "id": example.id, "bytes": size, "bits": example_bits,
                         "bits_per_byte": example_bits / size if size else None})
            total_bits += example_bits
            total_bytes += size
        metrics[f"{name}_bits_per_byte"] = total_bits / total_bytes if total_bytes else None
        metrics[f"{name}_examples"] = len(examples)
        metrics[f"{name}_bytes"] = total_bytes
        log(f"{name}: {len(examples)} examples, {metrics[f'{name}_bits_per_byte']} bits/byte")
    atomic.write_jsonl(os.path.join(options.out, "examples.jsonl"), rows)

    prompts = _read_prompts(options.prompts) if options.prompts else _prompts_from(test, options.sample_prompts)
    generations = []
    for index, (prompt_id, prompt) in enumerate(prompts):
        # Seed per prompt, so a completion does not depend on which prompts came before it.
        completion, latency = sampling.complete(model, prompt, options.max_new_tokens, options.temperature,
                                                options.seed + index)
        generations.append({"id": prompt_id, "prompt": prompt, "completion": completion,
                            "latency_ms": round(latency, 3)})
    atomic.write_jsonl(os.path.join(options.out, "generations.jsonl"), generations)

    latencies = sorted(g["latency_ms"] for g in generations)
    metrics.update({
        "generation_p95_latency_ms": _nearest_rank(latencies, 0.95),
        "generations": len(generations),
        "decoding": sampling.describe(options.temperature, options.seed),
        "max_new_tokens": options.max_new_tokens,
        "family": model.config.get("family"),
        "device": model.device.type,
        "dtype": str(model.dtype).replace("torch.", ""),
    })
    atomic.write_json(os.path.join(options.out, "metrics.json"), metrics)
    return 0


def _prompts_from(test, count):
    prompts = []
    for example in test:
        if len(prompts) == count:
            break
        words = example.text.split()
        if words:
            prompts.append((example.id, " ".join(words[:PROMPT_WORDS])))
    return prompts


def _read_prompts(path):
    """``{"id", "prompt"}`` lines of a JSONL file, or of every ``*.jsonl`` in a folder (a job input is a folder)."""
    files = sorted(os.path.join(path, name) for name in os.listdir(path) if name.endswith(".jsonl")) \
        if os.path.isdir(path) else [path]
    prompts = []
    for file in files:
        try:
            with open(file, "rb") as stream:
                lines = list(stream)
        except OSError as error:
            raise JobError(f"{file}: unreadable ({error.strerror})") from None
        prompts.extend(tuple(parse_line(raw, f"{file}:{number}", ("id", "prompt")))
                       for number, raw in enumerate(lines, start=1) if raw.strip())
    return prompts


def _nearest_rank(sorted_values, fraction):
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of values at or below it."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]
