"""Device, precision, determinism and RNG state: the parts that differ between this machine
(Debian's PyTorch 1.13, CPU) and Azure ML (PyTorch 2.x, CUDA), kept in one place."""

import contextlib
import inspect
import io
import os
import random

import torch

from .errors import JobError

_load_takes_weights_only = "weights_only" in inspect.signature(torch.load).parameters
_restricted_load_reads_floats = int(torch.__version__.split(".")[0]) >= 2


def make_deterministic():
    """Same inputs, same bits: what makes a resumed run end with the weights of an uninterrupted one."""
    # cuBLAS reads this when it initialises, so it must be set before the first CUDA matmul.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # warn_only: a CUDA op without a deterministic kernel should cost bitwise equality, not the run.
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    # A reduction split over a different number of threads may round differently, so fix the count
    # to the cores this process may use rather than whatever the library guesses on the day.
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(max(1, threads))


def pick_device(choice):
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise JobError("--device cuda was asked for, but torch.cuda.is_available() is false on this machine")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pick_dtype(device):
    """bf16 autocast where the GPU has it (no loss scaling needed, unlike fp16); fp32 otherwise."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def autocast(device, dtype):
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def seed_everything(seed):
    random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too


def rng_state():
    return {
        "python": random.getstate(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }


def set_rng_state(state):
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    # A run resumed on a machine with another GPU count cannot restore the CUDA streams exactly;
    # it still resumes, it is just no longer bitwise comparable (nor would its kernels be).
    if state.get("cuda") is not None and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_tensors(source, plain_values=False):
    """torch.load of a file or bytes we wrote, on the CPU.

    weights_only=True refuses to run code from a tampered file (PyTorch 2.6 made it the default).
    PyTorch 1.x's restricted unpickler cannot read plain floats, which optimizer and scheduler states
    hold, so there a checkpoint (``plain_values``) loads unrestricted; checkpoint.py has already
    matched the file against the checksum it was written with. Weight files hold tensors only."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    if not _load_takes_weights_only:
        return torch.load(source, map_location="cpu")
    restricted = not plain_values or _restricted_load_reads_floats
    return torch.load(source, map_location="cpu", weights_only=restricted)


def save_tensors(value):
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def count_parameters(module):
    total = sum(p.numel() for p in module.parameters())
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return total, trainable
