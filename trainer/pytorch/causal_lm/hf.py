"""LoRA on a Hugging Face causal LM through ``transformers`` and ``peft``, imported only on this path.

Not exercised on the development machine (neither package is installed there); see the README.
"""

import os

from . import atomic, runtime
from .errors import JobError
from .families import ADAPTER, BASE_MODEL


def require():
    """(transformers, peft), or a one-line JobError saying which one is missing."""
    try:
        import transformers
    except ImportError as error:
        raise JobError(f"--mode lora on a Hugging Face model needs the 'transformers' and 'peft' packages; "
                       f"'transformers' cannot be imported ({error})") from None
    try:
        import peft
    except ImportError as error:
        raise JobError(f"--mode lora on a Hugging Face model needs the 'transformers' and 'peft' packages; "
                       f"'peft' cannot be imported ({error})") from None
    return transformers, peft


class HfTokenizer:
    """A Hugging Face tokenizer with ByteTokenizer's surface: encode/decode and BOS/EOS/PAD ids."""

    def __init__(self, tokenizer, name):
        self.inner = tokenizer
        self.name = name
        self.eos_id = tokenizer.eos_token_id
        if self.eos_id is None:
            raise JobError(f"base model '{name}': its tokenizer has no end-of-sequence token")
        # GPT-2 style tokenizers use one token for both; a model without BOS starts a text after EOS.
        self.bos_id = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else self.eos_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        self.vocab_size = len(tokenizer)

    def encode(self, text):
        return list(self.inner(text, add_special_tokens=False)["input_ids"])

    def decode(self, ids):
        return self.inner.decode(ids, skip_special_tokens=True)

    def describe(self):
        return {"kind": "hf", "name": self.name, "vocab_size": self.vocab_size,
                "bos": self.bos_id, "eos": self.eos_id, "pad": self.pad_id}


def load_base(name, dtype):
    transformers, _ = require()
    where = "a local folder" if os.path.isdir(name) else "not a local folder, so it must come from the Hugging Face hub"
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(name)
        model = transformers.AutoModelForCausalLM.from_pretrained(name)
    except (OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise JobError(f"cannot load base model '{name}' ({where}; is the hub reachable?): {first_line}") from None
    # Cast after loading rather than through from_pretrained's dtype argument, whose name changed across versions.
    return HfTokenizer(tokenizer, name), model.to(dtype)


def context_of(model_config, fallback):
    for key in ("n_positions", "max_position_embeddings"):
        value = getattr(model_config, key, None)
        if isinstance(value, int) and value > 0:
            return value
    return fallback


def attach(model, lora_settings):
    _, peft = require()
    config = peft.LoraConfig(
        r=lora_settings["r"],
        lora_alpha=lora_settings["alpha"],
        lora_dropout=lora_settings["dropout"],
        target_modules=lora_settings["targets"],
        task_type="CAUSAL_LM",
    )
    try:
        return peft.get_peft_model(model, config)
    except ValueError as error:
        raise JobError(f"--lora-targets: {error}") from None


class PeftModel:
    family = "lora"

    def __init__(self, settings, device, dtype):
        self.name = settings.base_model
        self.tokenizer, base = load_base(self.name, dtype)
        self.lora = {
            "r": settings.lora_r,
            "alpha": settings.lora_alpha,
            "dropout": settings.lora_dropout,
            # None lets peft pick the layers it knows for this architecture.
            "targets": list(settings.lora_targets) if settings.lora_targets else None,
        }
        self.module = attach(base, self.lora)
        resolved = self.module.peft_config["default"].target_modules
        self.lora["targets"] = sorted(resolved) if not isinstance(resolved, str) else resolved
        # Adapters train in fp32 even on a bf16 base: their updates are small and would round away.
        for parameter in self.module.parameters():
            if parameter.requires_grad:
                parameter.data = parameter.data.float()
        self.module.to(device)
        self.context = context_of(base.config, settings.seq_len)
        self.vocab_size = base.config.vocab_size

    def forward(self, ids):
        return self.module(input_ids=ids).logits

    def state(self):
        _, peft = require()
        return {name: tensor.detach().cpu() for name, tensor in peft.get_peft_model_state_dict(self.module).items()}

    def load_state(self, state):
        _, peft = require()
        peft.set_peft_model_state_dict(self.module, state)

    def identity(self):
        return {"family": self.family, "base": {"kind": "hf", "name": self.name}, "lora": self.lora,
                "tokenizer": self.tokenizer.describe()}

    def save(self, out):
        atomic.write_bytes(os.path.join(out, ADAPTER), runtime.save_tensors(self.state()))
        atomic.write_bytes(os.path.join(out, BASE_MODEL), (self.name + "\n").encode("utf-8"))
        return self.identity()


def load_for_inference(config, adapter, device, dtype):
    """(merged module, tokenizer, context, vocab size) of a LoRA model trained on a Hugging Face base."""
    _, peft = require()
    tokenizer, base = load_base(config["base"]["name"], dtype)
    module = attach(base, config["lora"])
    peft.set_peft_model_state_dict(module, adapter)
    module = module.merge_and_unload().to(device).eval()
    return module, tokenizer, context_of(base.config, 1024), base.config.vocab_size
