"""Loads a model folder written by ``train`` for scoring and generation, adapters merged in."""

import os
from dataclasses import dataclass

import torch

from . import families, lora, runtime
from .errors import JobError
from .tokenizer import ByteTokenizer


@dataclass
class Model:
    module: torch.nn.Module
    tokenizer: object
    context: int
    vocab_size: int
    device: torch.device
    dtype: torch.dtype
    config: dict

    def forward(self, ids):
        output = self.module(ids)
        # Hugging Face models return an output object; ours returns the logits tensor itself.
        return getattr(output, "logits", output)


def load(folder, device_choice):
    config = families.read_config(folder)
    device = runtime.pick_device(device_choice)
    dtype = runtime.pick_dtype(device)
    family = config.get("family")
    if family == "scratch":
        module = families.load_scratch_module(folder, config)
        return _ready(module, ByteTokenizer(), config, device, dtype)
    if family == "lora" and config.get("base", {}).get("kind") == families.FORMAT:
        return _ready(_adapted_scratch(folder, config), ByteTokenizer(), config, device, dtype)
    if family == "lora" and config.get("base", {}).get("kind") == "hf":
        from . import hf
        adapter = families.load_weights(os.path.join(folder, families.ADAPTER))
        module, tokenizer, context, vocab_size = hf.load_for_inference(config, adapter, device, dtype)
        return Model(module, tokenizer, context, vocab_size, device, dtype, config)
    raise JobError(f"{os.path.join(folder, families.CONFIG)}: unknown model family '{family}'")


def _ready(module, tokenizer, config, device, dtype):
    module = module.to(device).eval()
    return Model(module, tokenizer, config["model"]["seq_len"], config["model"]["vocab_size"], device, dtype, config)


def _adapted_scratch(folder, config):
    base_dir = _base_folder(folder)
    base_config = families.read_config(base_dir)
    actual = families.file_sha256(os.path.join(base_dir, families.WEIGHTS))
    if actual != config["base"]["sha256"]:
        raise JobError(f"{base_dir}: base model weights changed since the adapter in {folder} was trained "
                       f"(sha256 {actual[:12]}, expected {config['base']['sha256'][:12]})")
    module = families.load_scratch_module(base_dir, base_config)
    settings = config["lora"]
    lora.inject(module, settings["targets"], settings["r"], settings["alpha"], 0.0)
    lora.load_adapter(module, families.load_weights(os.path.join(folder, families.ADAPTER)))
    # One matmul per layer instead of three: inference runs the model the adapter trained into.
    return lora.merge(module)


def _base_folder(folder):
    path = os.path.join(folder, families.BASE_MODEL)
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read().strip()
    except OSError as error:
        raise JobError(f"{path}: unreadable ({error.strerror})") from None
