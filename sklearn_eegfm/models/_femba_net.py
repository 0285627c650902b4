"""FEMBA's encoder in plain PyTorch, with the authors' parameter names.

pulp-bio/BioFoundation ``models/FEMBA.py`` @ 1923999 (Apache-2.0) builds FEMBA on
mamba_ssm's CUDA kernels; this is the same encoder (patch embedding, learned positions,
bidirectional Mamba blocks with residual and LayerNorm) on :mod:`._mamba`, so that the
authors' checkpoints load strictly (``../shared/reference/keys/FEMBA_keys.txt``) and run
on any device. The pretraining decoder and the fine-tuning heads are not built: their
keys are accounted for by the checkpoint layouts (``_layouts.py``).
"""

from __future__ import annotations

import torch
from torch import nn

from ._mamba import BiMamba


class FEMBAPatchEmbed(nn.Module):
    """2-D convolution over (channels, time) patches (FEMBA.py:62-92, ``proj``)."""

    def __init__(self, embed_dim, patch_size):
        super().__init__()
        self.proj = nn.Conv2d(1, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        x = self.proj(x.unsqueeze(1))  # (B, E, grid_h, grid_w)
        # channel-major flattening, E outer: FEMBA.py:89-90
        return x.reshape(x.shape[0], x.shape[1] * x.shape[2], x.shape[3]).transpose(1, 2)


class FEMBA(nn.Module):
    """FEMBA's encoder: ``(batch, channels, times) -> (batch, tokens, grid_h * embed_dim)``.

    Parameters
    ----------
    n_chans, n_times : int
        Input size (the authors' defaults: 22 derivations, 1,280 samples at 256 Hz).
    embed_dim, num_blocks : int
        Size; see :data:`FEMBA_SIZES`.
    exp : int
        Inner expansion of the Mamba layers (``exp=4``, FEMBA.py:221, 253).
    patch_size : tuple of int
        (channels, samples) per patch, also the stride (FEMBA.py:222-223).
    """

    def __init__(self, n_chans=22, n_times=1280, embed_dim=35, num_blocks=2, exp=4,
                 patch_size=(2, 16)):  # fmt: skip
        super().__init__()
        grid = (n_chans // patch_size[0], n_times // patch_size[1])
        width = grid[0] * embed_dim
        self.patch_embed = FEMBAPatchEmbed(embed_dim, patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, grid[1], width))
        self.mamba_blocks = nn.ModuleList(BiMamba(width, expand=exp) for _ in range(num_blocks))
        self.norm_layers = nn.ModuleList(nn.LayerNorm(width) for _ in range(num_blocks))

    def forward(self, x):
        """Encode; the authors' forward with an all-false mask (finetune_task.py:142-154)."""
        x = self.patch_embed(x) + self.pos_embed
        for block, norm in zip(self.mamba_blocks, self.norm_layers):
            x = norm(x + block(x))  # FEMBA.py:275-279
        return x
