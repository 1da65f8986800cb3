"""The models ``train`` can train, each with the same small surface the training loop uses:
``module``, ``tokenizer``, ``context``, ``vocab_size``, ``forward(ids)``, ``state()`` / ``load_state()``
(what a checkpoint holds: every weight, or the adapter only), ``identity()`` (for the fingerprint)
and ``save(out)`` (the model files plus what config.json says about them).
"""

import hashlib
import json
import os

from . import atomic, lora, runtime
from .errors import JobError
from .model import TinyTransformer, TransformerConfig
from .tokenizer import ByteTokenizer

FORMAT = "causal_lm"
CONFIG = "config.json"
WEIGHTS = "model.pt"
ADAPTER = "adapter.pt"
BASE_MODEL = "base_model.txt"
DEFAULT_SCRATCH_TARGETS = ("qkv", "proj")


def build(settings, device, dtype):
    if settings.mode == "scratch":
        return ScratchModel(settings, device)
    if is_model_folder(settings.base_model):
        return AdaptedScratchModel(settings, device)
    from . import hf  # transformers and peft load only on this path
    return hf.PeftModel(settings, device, dtype)


def save_folder(model, out, **extra):
    """Writes the model files, then config.json describing them (family, sizes, tokenizer, ``extra``)."""
    os.makedirs(out, exist_ok=True)
    described = model.save(out)
    atomic.write_json(os.path.join(out, CONFIG), {"format": FORMAT, "format_version": 1, **described, **extra})


def is_model_folder(path):
    """True when ``path`` holds a model this trainer wrote (not a Hugging Face model folder)."""
    try:
        with open(os.path.join(path, CONFIG), encoding="utf-8") as stream:
            return json.load(stream).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def read_config(folder):
    path = os.path.join(folder, CONFIG)
    try:
        with open(path, encoding="utf-8") as stream:
            config = json.load(stream)
    except FileNotFoundError:
        raise JobError(f"{folder}: not a model folder ({CONFIG} is missing)") from None
    except (OSError, ValueError) as error:
        raise JobError(f"{path}: unreadable ({error})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise JobError(f"{path}: not written by causal_lm (no \"format\": \"{FORMAT}\")")
    return config


def load_weights(path):
    try:
        return runtime.load_tensors(path)
    except FileNotFoundError:
        raise JobError(f"{path}: missing") from None
    except Exception as error:  # a truncated or foreign file: name it rather than show a pickle traceback
        raise JobError(f"{path}: unreadable ({type(error).__name__}: {error})") from None


def file_sha256(path):
    hash = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            hash.update(block)
    return hash.hexdigest()


def load_scratch_module(folder, config):
    """The TinyTransformer saved in ``folder``, on the CPU."""
    module = TinyTransformer(TransformerConfig.from_dict(config["model"]))
    module.load_state_dict(load_weights(os.path.join(folder, WEIGHTS)))
    return module


class ScratchModel:
    family = "scratch"

    def __init__(self, settings, device):
        self.tokenizer = ByteTokenizer()
        self.config = TransformerConfig(
            self.tokenizer.vocab_size, settings.d_model, settings.layers, settings.heads, settings.seq_len, settings.dropout)
        self.module = TinyTransformer(self.config).to(device)
        self.context = self.config.seq_len
        self.vocab_size = self.config.vocab_size

    def forward(self, ids):
        return self.module(ids)

    def state(self):
        return {name: tensor.detach().cpu() for name, tensor in self.module.state_dict().items()}

    def load_state(self, state):
        self.module.load_state_dict(state)

    def identity(self):
        return {"family": self.family, "model": self.config.to_dict(), "tokenizer": self.tokenizer.describe()}

    def save(self, out):
        atomic.write_bytes(os.path.join(out, WEIGHTS), runtime.save_tensors(self.state()))
        return self.identity()


class AdaptedScratchModel:
    """LoRA adapters (lora.py) on a scratch model this trainer wrote earlier; its weights stay frozen."""

    family = "lora"

    def __init__(self, settings, device):
        self.base_dir = os.path.abspath(settings.base_model)
        base = read_config(self.base_dir)
        if base.get("family") != "scratch":
            raise JobError(f"{self.base_dir}: holds a '{base.get('family')}' model; LoRA needs a full (scratch) model as its base")
        self.base_sha256 = file_sha256(os.path.join(self.base_dir, WEIGHTS))
        self.tokenizer = ByteTokenizer()
        self.config = TransformerConfig.from_dict(base["model"])
        self.lora = {
            "r": settings.lora_r,
            "alpha": settings.lora_alpha,
            "dropout": settings.lora_dropout,
            "targets": list(settings.lora_targets or DEFAULT_SCRATCH_TARGETS),
        }
        module = load_scratch_module(self.base_dir, base)
        self.lora["targets_wrapped"] = lora.inject(module, self.lora["targets"], settings.lora_r, settings.lora_alpha, settings.lora_dropout)
        lora.freeze_base(module)
        self.module = module.to(device)
        self.context = self.config.seq_len
        self.vocab_size = self.config.vocab_size

    def forward(self, ids):
        return self.module(ids)

    def state(self):
        return lora.adapter_state(self.module)

    def load_state(self, state):
        lora.load_adapter(self.module, state)

    def identity(self):
        return {
            "family": self.family,
            # The weights' hash, not the folder: an evicted job may find its inputs mounted elsewhere.
            "base": {"kind": FORMAT, "sha256": self.base_sha256},
            "lora": self.lora,
            "model": self.config.to_dict(),
            "tokenizer": self.tokenizer.describe(),
        }

    def save(self, out):
        atomic.write_bytes(os.path.join(out, ADAPTER), runtime.save_tensors(self.state()))
        atomic.write_bytes(os.path.join(out, BASE_MODEL), (self.base_dir + "\n").encode("utf-8"))
        described = self.identity()
        described["base"]["path"] = self.base_dir
        return described
