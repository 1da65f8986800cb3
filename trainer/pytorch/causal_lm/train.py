"""``train``: fits a model on train-*.jsonl, checkpointing so an evicted run resumes where it stopped
and still ends with exactly the weights of a run that was never interrupted."""

import hashlib
import json
import math
import os
import signal
import sys
import time

import torch
from torch.nn import functional as F

from . import atomic, families, runtime, scoring
from .batches import IGNORE, PackedBatches
from .checkpoint import CheckpointStore, attempt_from_environment
from .data import digest, read_split
from .errors import JobError

CHECKPOINT_FORMAT = 1
EXIT_TERMINATED = 143  # 128 + SIGTERM: the pipeline reads it as an interrupted job, to be resubmitted


class StopRequest:
    """Turns SIGTERM (an eviction notice) into a flag the loop checks between steps."""

    def __init__(self):
        self.requested = False
        self._previous = signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum, frame):
        self.requested = True

    def close(self):
        signal.signal(signal.SIGTERM, self._previous)


def run(settings, data_dir, out_dir, checkpoint_dir, log=print, warn=None):
    """Trains; returns the exit code (0 done, 143 stopped by SIGTERM after a checkpoint)."""
    warn = warn or (lambda message: print(f"causal_lm: warning: {message}", file=sys.stderr, flush=True))
    started = time.perf_counter()
    stop = StopRequest()
    try:
        return _train(settings, data_dir, out_dir, checkpoint_dir, log, warn, stop, started)
    finally:
        stop.close()


def _train(settings, data_dir, out_dir, checkpoint_dir, log, warn, stop, started):
    runtime.make_deterministic()
    device = runtime.pick_device(settings.device)
    dtype = runtime.pick_dtype(device)
    train = read_split(data_dir, "train")
    if not train:
        raise JobError(f"{data_dir}: the train split is empty (no records in train-*.jsonl)")
    validation = read_split(data_dir, "validation")
    if not validation:
        raise JobError(f"{data_dir}: the validation split is empty (no records in validation-*.jsonl)")

    runtime.seed_everything(settings.seed)
    model = families.build(settings, device, dtype)
    tokenizer = model.tokenizer
    seq_len = min(settings.seq_len, model.context)
    documents = [[tokenizer.bos_id] + tokenizer.encode(e.text) + [tokenizer.eos_id] for e in train]
    batches = PackedBatches(documents, seq_len, settings.batch_size, settings.seed, tokenizer.pad_id)
    optimizer = _optimizer(model.module, settings)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(settings.warmup_steps, settings.steps))
    fingerprint = _fingerprint(settings, model, seq_len, train)

    store = CheckpointStore(checkpoint_dir, warn, attempt_from_environment())
    store.claim()
    step, train_tokens = 0, 0
    state = store.load(fingerprint)
    if state is not None:
        model.load_state(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        batches.restore(state["cursor"])
        runtime.set_rng_state(state["rng"])
        step, train_tokens = state["step"], state["train_tokens"]
        log(f"resuming from step {step} of {settings.steps} ({store.path('checkpoint.pt')})")
    resumed_from = step

    model.module.train()
    trainable = [p for p in model.module.parameters() if p.requires_grad]
    while step < settings.steps:
        inputs, targets = batches.next_batch()
        inputs, targets = inputs.to(device), targets.to(device)
        with runtime.autocast(device, dtype):
            logits = model.forward(inputs)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if settings.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(trainable, settings.grad_clip)
        optimizer.step()
        scheduler.step()
        step += 1
        train_tokens += int((targets != IGNORE).sum())
        if settings.step_delay_ms:
            time.sleep(settings.step_delay_ms / 1000.0)
        # Read the flag once: a SIGTERM landing between the checkpoint decision and the exit decision
        # would otherwise exit without the checkpoint it promised. A later one waits for the next step.
        stopping = stop.requested
        if step % settings.checkpoint_every == 0 or step == settings.steps or stopping:
            store.save({
                "format": CHECKPOINT_FORMAT,
                "fingerprint": fingerprint,
                "step": step,
                "total_steps": settings.steps,
                "train_tokens": train_tokens,
                "model": model.state(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "cursor": batches.cursor(),
                "rng": runtime.rng_state(),
            })
        store.write_progress(step, settings.steps)
        if step == 1 or step % 10 == 0 or step == settings.steps:
            log(f"step {step}/{settings.steps}: loss {loss.item():.4f}, lr {scheduler.get_last_lr()[0]:.2e}")
        if stopping and step < settings.steps:
            print(f"causal_lm: SIGTERM: stopped after step {step} of {settings.steps}; checkpoint written, "
                  "resubmit with the same --checkpoints to resume", file=sys.stderr, flush=True)
            return EXIT_TERMINATED
    if resumed_from == settings.steps:
        store.write_progress(step, settings.steps)

    # A fenced attempt reports nothing: its successor owns the outcome.
    store.ensure_owner()
    trained = time.perf_counter()
    families.save_folder(model, out_dir, hyperparameters=settings.to_dict(), train_seq_len=seq_len,
                         device=device.type, dtype=runtime.dtype_name(dtype))
    total, trainable_count = runtime.count_parameters(model.module)
    model.module.eval()
    results = scoring.score_texts(model.forward, tokenizer, [e.text for e in validation], model.context,
                                  model.vocab_size, device, dtype)
    nats = sum(n for n, _ in results)
    tokens = sum(t for _, t in results)
    text_bytes = sum(len(e.text.encode("utf-8")) for e in validation)
    loss = nats / tokens
    metrics = {
        "validation_loss": _finite(loss),
        "validation_bits_per_byte": _finite(scoring.bits(nats) / text_bytes) if text_bytes else None,
        "validation_perplexity": _finite(math.exp(loss) if loss < 700 else math.inf),
        "validation_examples": len(validation),
        "validation_tokens": tokens,
        "validation_bytes": text_bytes,
        "train_tokens": train_tokens,
        "steps": settings.steps,
        "resumed_from_step": resumed_from,
        "device": device.type,
        "dtype": runtime.dtype_name(dtype),
        "family": model.family,
        "parameters": total,
        "trainable_parameters": trainable_count,
        "wall_seconds": round(time.perf_counter() - started, 3),
    }
    # Last, and atomically: the pipeline takes metrics.json as the sign that the job finished.
    atomic.write_json(os.path.join(out_dir, "metrics.json"), metrics)
    log(f"validation: {loss:.4f} nats/token, {metrics['validation_bits_per_byte']} bits/byte; model in {out_dir}")
    log(f"time: {trained - started:.1f} s to train {settings.steps - resumed_from} steps, "
        f"{time.perf_counter() - trained:.1f} s to save and validate")
    return 0


def _optimizer(module, settings):
    # Decay matrices only: shrinking biases and norm gains towards zero does not regularise anything.
    decay, keep = [], []
    for parameter in module.parameters():
        if parameter.requires_grad:
            (decay if parameter.dim() >= 2 else keep).append(parameter)
    groups = [{"params": decay, "weight_decay": settings.weight_decay}, {"params": keep, "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=settings.learning_rate)


def _schedule(warmup, total):
    """Linear warm-up, then cosine decay to a tenth of the peak by the last step."""
    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return factor


def _fingerprint(settings, model, seq_len, train):
    identity = {
        "checkpoint_format": CHECKPOINT_FORMAT,
        "settings": settings.shaping(),
        "model": model.identity(),
        "train_seq_len": seq_len,
        "train_data": digest(train),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()


def _finite(value):
    """A diverged run still writes valid JSON (null), and its bad numbers stay visible to the gate."""
    return value if math.isfinite(value) else None
