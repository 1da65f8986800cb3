"""Dense layers that stay fast on PyTorch builds without an optimised BLAS.

Debian's python3-torch links the netlib reference BLAS, where a float32 matmul runs about 15 times
slower (forward and backward) than the same product done by oneDNN as a 1x1 convolution. Builds with
MKL (the Azure ML images, pip wheels on x86) and every GPU keep the plain F.linear.
"""

import torch
from torch import nn
from torch.nn import functional as F

_CONVOLVE_ON_CPU = torch.backends.mkldnn.is_available() and not torch.backends.mkl.is_available()


def dense(x, weight, bias=None):
    """F.linear(x, weight, bias), the same values up to rounding, whichever route it takes."""
    if not (_CONVOLVE_ON_CPU and x.device.type == "cpu" and x.dtype == torch.float32 and x.dim() >= 2):
        return F.linear(x, weight, bias)
    leading = x.shape[:-1]
    # (tokens, in) -> (1, in, tokens): channels are the features, the sequence is every token.
    columns = x.reshape(-1, x.size(-1)).t().unsqueeze(0)
    y = F.conv1d(columns, weight.unsqueeze(-1), bias)
    return y.squeeze(0).t().reshape(*leading, weight.size(0))


class Linear(nn.Linear):
    """nn.Linear (same parameters and state dict keys) whose product goes through dense()."""

    def forward(self, x):
        return dense(x, self.weight, self.bias)
