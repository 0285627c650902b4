"""FEMBA's encoder in plain PyTorch, with the authors' parameter names.

pulp-bio/BioFoundation ``models/FEMBA.py`` @ 1923999 (Apache-2.0) builds FEMBA on
mamba_ssm's CUDA kernels; this is the same encoder (patch embedding, learned positions,
bidirectional Mamba blocks with residual and LayerNorm) on :mod:`._mamba`, so that the
authors' checkpoints load strictly (``../shared/reference/keys/FEMBA_keys.txt``) and run
on any device. The pretraining decoder and the fine-tuning heads are not built: their
keys are accounted for by the checkpoint layouts (``_layouts.py``).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._mamba import BiMamba

# (num_blocks, embed_dim) of the published sizes: BioFoundation docs/model/FEMBA.md:78-85
# and the key lists made from models/FEMBA.py (FEMBA_keys.txt).
FEMBA_SIZES = {"tiny": (2, 35), "base": (12, 35), "large": (4, 79), "huge": (20, 79)}

# TUH's TCP bipolar montage in the authors' order: BioFoundation datasets/tuh_dataset.py
# :26-49 (CHN_ORDER), the keys of make_datasets/make_tueg_bipolar.py:32-55 and its
# standard_order (:178).
TCP_DERIVATIONS = (
    "FP1-F7", "F7-T3", "T3-T5", "T5-O1", "FP2-F8", "F8-T4", "T4-T6", "T6-O2",
    "T3-C3", "C3-CZ", "CZ-C4", "C4-T4", "FP1-F3", "F3-C3", "C3-P3", "P3-O1",
    "FP2-F4", "F4-C4", "C4-P4", "P4-O2", "A1-T3", "T4-A2",
)  # fmt: skip


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


def femba_quartile_scale(x):
    """FEMBA's input normalisation: ``(x - (-20)) / (20 - (-20) + 1e-8)`` on microvolts.

    BioFoundation ``util/train_utils.py:44-51`` (``RobustQuartileNormalize``) with the
    fixed bounds of ``config/experiment/FEMBA_finetune.yaml:38-41`` (and
    FEMBA_pretrain.yaml:49-51), applied to every batch (``tasks/finetune_task.py:66-71,
    189``). The docs' per-channel interquartile range (docs/model/FEMBA.md:21-29) is not
    what the code computes.

    Parameters
    ----------
    x : ndarray, shape (n, c, t)
        Microvolts.

    Returns
    -------
    x : ndarray, shape (n, c, t)
        float32.
    """
    return ((x + np.float32(20.0)) / np.float32(40.0 + 1e-8)).astype(np.float32)


def femba_positions_state(state, own):
    """Keep the first positions of the checkpoint's 80-token table for shorter windows."""
    key = "pos_embed"
    if key in state and key in own and state[key].shape[1] > own[key].shape[1]:
        state = {**state, key: state[key][:, : own[key].shape[1]]}
    return state
