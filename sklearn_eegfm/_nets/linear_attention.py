"""A small non-causal linear-attention transformer (Katharopoulos et al. 2020, softmax kernel).

TFM-Tokenizer's networks use lucidrains' ``linear-attention-transformer`` (0.19.1,
unmaintained) with its defaults: pre-norm blocks of global linear attention and a GELU
feed-forward network, no final norm. This module is written from that description and
from the authors' state-dict keys (``layers.layers.<i>.0.fn.to_q``, ``...1.fn.fn.w1``),
so that the authors' files load into it with strict key matching:

- attention (per head of ``dim // heads`` features): ``q`` is soft-maxed over its
  features and scaled by ``d_head ** -0.5``, ``k`` is soft-maxed over the sequence, and
  the output is ``q (k^T v)`` -- linear in the sequence length;
- ``to_q``, ``to_k``, ``to_v`` have no bias, ``to_out`` has one; the feed-forward network
  is ``w2(gelu(w1(x)))`` with a 4x hidden layer; every block is ``x + f(layernorm(x))``.
"""

from __future__ import annotations

import torch
from torch import nn


class LinearSelfAttention(nn.Module):
    """Global (non-causal) linear self-attention.

    Parameters
    ----------
    dim : int
        Model width.
    heads : int
        Attention heads; ``dim`` must be divisible by it.
    dropout : float
        Dropout on the output projection (training only).
    """

    def __init__(self, dim, heads=8, dropout=0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim={dim} is not divisible by heads={heads}.")
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        b, n, d = x.shape
        h = self.heads

        def split(t):
            return t.reshape(b, n, h, d // h).transpose(1, 2)  # (b, h, n, d_head)

        q, k, v = split(self.to_q(x)), split(self.to_k(x)), split(self.to_v(x))
        q = q.softmax(dim=-1) * (d // h) ** -0.5
        k = k.softmax(dim=-2)
        context = torch.einsum("bhnd,bhne->bhde", k, v)
        out = torch.einsum("bhnd,bhde->bhne", q, context)
        return self.dropout(self.to_out(out.transpose(1, 2).reshape(b, n, d)))


class FeedForward(nn.Module):
    """``w2(gelu(w1(x)))`` with a ``mult``-times wider hidden layer."""

    def __init__(self, dim, mult=4):
        super().__init__()
        self.w1 = nn.Linear(dim, dim * mult)
        self.act = nn.GELU()
        self.w2 = nn.Linear(dim * mult, dim)

    def forward(self, x):
        return self.w2(self.act(self.w1(x)))


class _Wrapped(nn.Module):
    """A module under ``fn``: the authors' feed-forward sits in a one-chunk wrapper."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


class PreNorm(nn.Module):
    """``fn(layernorm(x))``."""

    def __init__(self, dim, fn):
        super().__init__()
        self.fn = fn
        self.norm = nn.LayerNorm(dim)

    def forward(self, x):
        return self.fn(self.norm(x))


class _Blocks(nn.Module):
    def __init__(self, dim, depth, heads, dropout):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.ModuleList(
                [
                    PreNorm(dim, LinearSelfAttention(dim, heads, dropout)),
                    PreNorm(dim, _Wrapped(FeedForward(dim))),
                ]
            )
            for _ in range(depth)
        )

    def forward(self, x):
        for attention, feed_forward in self.layers:
            x = x + attention(x)
            x = x + feed_forward(x)
        return x


class LinearAttentionTransformer(nn.Module):
    """Pre-norm linear-attention transformer; input and output ``(batch, tokens, dim)``.

    Parameters
    ----------
    dim : int
        Model width.
    depth : int
        Blocks.
    heads : int
        Attention heads.
    dropout : float
        Dropout on each attention output (the authors train with 0.2).
    """

    def __init__(self, dim, depth, heads=8, dropout=0.0):
        super().__init__()
        self.layers = _Blocks(dim, depth, heads, dropout)

    def forward(self, x):
        return self.layers(x)
