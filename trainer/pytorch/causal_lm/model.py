"""The scratch family: a small pre-norm decoder-only transformer with tied input/output embeddings."""

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .dense import Linear, dense

# PyTorch 2.x has a fused attention kernel; 1.13 (Debian, this machine) does not. Both compute the same thing.
_fused_attention = getattr(F, "scaled_dot_product_attention", None)


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int
    d_model: int
    layers: int
    heads: int
    seq_len: int
    dropout: float = 0.0

    def to_dict(self):
        return asdict(self)

    @staticmethod
    def from_dict(values):
        return TransformerConfig(**{key: values[key] for key in TransformerConfig.__dataclass_fields__})


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.heads = config.heads
        self.dropout = config.dropout
        self.qkv = Linear(config.d_model, 3 * config.d_model)
        self.proj = Linear(config.d_model, config.d_model)
        if _fused_attention is None:
            mask = torch.ones(config.seq_len, config.seq_len, dtype=torch.bool).tril()
            self.register_buffer("causal", mask, persistent=False)

    def forward(self, x):
        batch, length, width = x.shape
        q, k, v = (
            t.view(batch, length, self.heads, width // self.heads).transpose(1, 2)
            for t in self.qkv(x).split(width, dim=2)
        )
        dropout = self.dropout if self.training else 0.0
        if _fused_attention is not None:
            y = _fused_attention(q, k, v, dropout_p=dropout, is_causal=True)
        else:
            # Scaling the queries costs T*d operations, scaling the scores T*T.
            scores = (q * (1.0 / math.sqrt(q.size(-1)))) @ k.transpose(-2, -1)
            scores = scores.masked_fill(~self.causal[:length, :length], float("-inf"))
            y = F.dropout(scores.softmax(dim=-1), dropout, self.training) @ v
        return self.proj(y.transpose(1, 2).reshape(batch, length, width))


class FeedForward(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.fc = Linear(config.d_model, 4 * config.d_model)
        self.out = Linear(4 * config.d_model, config.d_model)

    def forward(self, x):
        return self.out(F.gelu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.d_model)
        self.attn = CausalSelfAttention(config)
        self.norm2 = nn.LayerNorm(config.d_model)
        self.mlp = FeedForward(config)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x):
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.drop(self.mlp(self.norm2(x)))


class TinyTransformer(nn.Module):
    """``forward(ids [B, T]) -> logits [B, T, vocab]``, causal: position t sees ids[:, :t+1] only."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.position = nn.Embedding(config.seq_len, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.d_model)
        self.apply(self._initialise)
        # Residual projections start smaller so the residual stream's variance does not grow with depth.
        for name, parameter in self.named_parameters():
            if name.endswith(("attn.proj.weight", "mlp.out.weight")):
                nn.init.normal_(parameter, std=0.02 / math.sqrt(2 * config.layers))

    @staticmethod
    def _initialise(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, ids):
        length = ids.size(1)
        if length > self.config.seq_len:
            raise ValueError(f"sequence of {length} tokens exceeds the context of {self.config.seq_len}")
        positions = torch.arange(length, device=ids.device)
        x = self.drop(self.embed(ids) + self.position(positions))
        for block in self.blocks:
            x = block(x)
        # Tied output layer: one matrix fewer, and the usual choice for small language models.
        return dense(self.norm(x), self.embed.weight)
