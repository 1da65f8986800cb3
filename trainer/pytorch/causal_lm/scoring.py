"""Scores texts: the total -log p of each text's tokens, the unit the evaluation gate compares.

A text is scored as one sequence [BOS] tokens [EOS]: every token after BOS (EOS included) is predicted
from all that precede it. A sequence longer than the model's context is cut into windows that overlap
by half a context, and each window scores only the tokens no earlier window scored, so every token is
scored exactly once and (past the first window) with at least half a context of history.
"""

import math

import torch
from torch.nn import functional as F

from . import runtime
from .batches import IGNORE

# Rows x length x vocabulary of float32 log-probabilities held at once (128 MiB).
_LOGIT_BUDGET = 1 << 25


def windows(count, context):
    """(begin, end, first_scored) over positions 0..count-1: window inputs are positions [begin, end),
    and positions [first_scored, end) are the ones it scores. The scored ranges tile 0..count-1."""
    if count <= context:
        return [(0, count, 0)]
    stride = max(1, context // 2)
    spans, end = [(0, context, 0)], context
    while end < count:
        new_end = min(end + stride, count)
        spans.append((new_end - context, new_end, end))
        end = new_end
    return spans


def score_texts(forward, tokenizer, texts, context, vocab_size, device, dtype):
    """(nats, tokens) per text, in order; ``forward(ids [B, T]) -> logits [B, T, V]`` is the model."""
    items = []
    for index, text in enumerate(texts):
        sequence = [tokenizer.bos_id] + tokenizer.encode(text) + [tokenizer.eos_id]
        inputs, targets = sequence[:-1], sequence[1:]
        for begin, end, first in windows(len(inputs), context):
            scored = [IGNORE] * (first - begin) + targets[first:end]
            items.append((index, inputs[begin:end], scored))
    # Longest first, so a batch holds rows of similar length and little padding.
    items.sort(key=lambda item: -len(item[1]))
    nats = [0.0] * len(texts)
    tokens = [0] * len(texts)
    start = 0
    with torch.no_grad():
        while start < len(items):
            longest = len(items[start][1])
            rows = max(1, min(64, _LOGIT_BUDGET // (longest * vocab_size)))
            batch = items[start:start + rows]
            start += len(batch)
            ids = torch.full((len(batch), longest), tokenizer.pad_id, dtype=torch.long)
            goal = torch.full((len(batch), longest), IGNORE, dtype=torch.long)
            for row, (_, window_inputs, window_targets) in enumerate(batch):
                ids[row, :len(window_inputs)] = torch.tensor(window_inputs)
                goal[row, :len(window_targets)] = torch.tensor(window_targets)
            # Right padding never changes what a causal model computes at the positions before it.
            with runtime.autocast(device, dtype):
                logits = forward(ids.to(device))
            log_probs = F.log_softmax(logits.float(), dim=-1).cpu()
            mask = goal != IGNORE
            picked = log_probs.gather(-1, goal.clamp(min=0).unsqueeze(-1)).squeeze(-1)
            row_nats = -(picked * mask).sum(dim=1, dtype=torch.float64)
            for row, (index, _, _) in enumerate(batch):
                nats[index] += row_nats[row].item()
                tokens[index] += int(mask[row].sum())
    return list(zip(nats, tokens))


def bits(nats):
    return nats / math.log(2)


def losses(model, texts):
    """(bits, UTF-8 bytes) per text, in order, for a loaded model (``inference.load``): a row of ``examples.jsonl``,
    what ``evaluate`` writes and ``serve`` answers a ``{"text"}`` request with."""
    results = score_texts(model.forward, model.tokenizer, texts, model.context, model.vocab_size, model.device,
                          model.dtype)
    return [(bits(nats), len(text.encode("utf-8"))) for text, (nats, _) in zip(texts, results)]
