"""Low-rank adapters for nn.Linear layers, for our own models (peft does this for Hugging Face models).

A wrapped layer computes ``base(x) + scaling * B(A(dropout(x)))`` with the base frozen, A random and
B zero, so training starts from exactly the base model. Only A and B are trained and saved.
"""

import math

import torch
from torch import nn

from .dense import Linear, dense
from .errors import JobError


class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha, dropout):
        super().__init__()
        self.base = base
        self.r = r
        self.scaling = alpha / r
        self.lora_dropout = nn.Dropout(dropout)
        self.lora_a = nn.Parameter(torch.empty(r, base.in_features, device=base.weight.device))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device))
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x):
        return self.base(x) + dense(dense(self.lora_dropout(x), self.lora_a), self.lora_b) * self.scaling

    def merged(self):
        """A plain nn.Linear computing the same function (in eval mode), for fast inference."""
        layer = Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        layer = layer.to(self.base.weight.device)
        with torch.no_grad():
            layer.weight.copy_(self.base.weight + (self.lora_b @ self.lora_a) * self.scaling)
            if self.base.bias is not None:
                layer.bias.copy_(self.base.bias)
        return layer


def inject(model, targets, r, alpha, dropout):
    """Wraps every nn.Linear whose name (or last name part) is in ``targets``; returns the wrapped names."""
    wanted = set(targets)
    found = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if isinstance(child, nn.Linear) and (child_name in wanted or full in wanted):
                setattr(module, child_name, LoRALinear(child, r, alpha, dropout))
                found.append(full)
    if not found:
        linears = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, nn.Linear)})
        raise JobError(f"--lora-targets {','.join(targets)} matches no linear layer; this model has {', '.join(linears)}")
    return found


def freeze_base(model):
    """Leaves only adapter parameters trainable."""
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(is_adapter_key(name))


def is_adapter_key(name):
    leaf = name.rsplit(".", 1)[-1]
    return leaf in ("lora_a", "lora_b")


def adapter_state(model):
    """The adapter weights only: what a checkpoint and ``adapter.pt`` hold."""
    return {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items() if is_adapter_key(name)}


def load_adapter(model, state):
    expected = {name for name in model.state_dict() if is_adapter_key(name)}
    if set(state) != expected:
        missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
        raise JobError(f"adapter does not fit the model (missing {missing[:3]}, unexpected {extra[:3]})")
    parameters = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in state.items():
            parameters[name].copy_(tensor)


def merge(model):
    """Replaces every LoRALinear by its merged nn.Linear, in place; returns the model."""
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                setattr(module, child_name, child.merged())
    return model
