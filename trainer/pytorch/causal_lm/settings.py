"""The hyperparameters of a training run, with the defaults the command line offers."""

from dataclasses import asdict, dataclass
from typing import Optional, Tuple


@dataclass(frozen=True)
class TrainSettings:
    mode: str = "scratch"
    base_model: Optional[str] = None
    # Scratch family: sized so the demo corpus (~3 000 sentences of ~50 bytes) trains and evaluates in
    # seconds on two CPU cores. seq_len 64 still holds a whole sentence; 128 costs five times as much per
    # step on this machine's reference BLAS (attention's batched matmuls), for no gain on short texts.
    d_model: int = 64
    layers: int = 2
    heads: int = 4
    seq_len: int = 64
    dropout: float = 0.0
    # LoRA family.
    lora_r: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.05
    lora_targets: Optional[Tuple[str, ...]] = None
    # Optimisation.
    steps: int = 200
    batch_size: int = 16
    lr: Optional[float] = None
    warmup_steps: int = 20
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    seed: int = 1
    # How the run is carried out; none of these changes the weights, so none is in the fingerprint.
    checkpoint_every: int = 50
    step_delay_ms: int = 0
    device: str = "auto"

    @property
    def learning_rate(self):
        # A tiny model from scratch wants a large step; an adapter on a pretrained model a small one.
        if self.lr is not None:
            return self.lr
        return 3e-3 if self.mode == "scratch" else 2e-4

    def shaping(self):
        """The settings that decide the trained weights: hashed into the checkpoint fingerprint."""
        values = asdict(self)
        for key in ("checkpoint_every", "step_delay_ms", "device", "base_model"):
            values.pop(key)
        values["lr"] = self.learning_rate
        values["lora_targets"] = list(self.lora_targets) if self.lora_targets else None
        if self.mode == "scratch":
            for key in ("lora_r", "lora_alpha", "lora_dropout", "lora_targets"):
                values.pop(key)
        else:
            # The base model decides these; identity() of the trainable records the base itself.
            for key in ("d_model", "layers", "heads", "dropout"):
                values.pop(key)
        return values

    def to_dict(self):
        values = asdict(self)
        values["lr"] = self.learning_rate
        values["lora_targets"] = list(self.lora_targets) if self.lora_targets else None
        return values
