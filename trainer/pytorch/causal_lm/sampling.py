"""Completes a prompt token by token: greedy at temperature 0, seeded sampling otherwise."""

import time

import torch

from . import runtime


def describe(temperature, seed):
    return "greedy" if temperature <= 0 else f"sampling(temperature={temperature:g}, seed={seed})"


def complete(model, prompt, max_new_tokens, temperature, seed):
    """(completion text, latency in ms) for ``prompt``; ``model`` is an inference.Model."""
    started = time.perf_counter()
    tokenizer = model.tokenizer
    ids = [tokenizer.bos_id] + tokenizer.encode(prompt)
    # A generator of our own: the draw depends on the seed alone, not on what ran before in the process.
    generator = torch.Generator().manual_seed(seed)
    produced = []
    with torch.no_grad():
        for _ in range(max_new_tokens):
            window = torch.tensor([ids[-model.context:]], dtype=torch.long, device=model.device)
            with runtime.autocast(model.device, model.dtype):
                logits = model.forward(window)[0, -1].float().cpu()
            if temperature <= 0:
                token = int(logits.argmax())
            else:
                token = int(torch.multinomial((logits / temperature).softmax(-1), 1, generator=generator))
            if token == tokenizer.eos_id:
                break
            ids.append(token)
            produced.append(token)
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    return tokenizer.decode(produced), (time.perf_counter() - started) * 1000.0
