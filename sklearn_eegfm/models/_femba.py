"""FEMBA's facts that need no torch: sizes, montage, input scale, checkpoint adjustment.

pulp-bio/BioFoundation ``models/FEMBA.py`` @ 1923999 (Apache-2.0); the network itself is
in :mod:`._femba_net` (imported when a model is built).
"""

from __future__ import annotations

import numpy as np

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


def femba_network(**kwargs):
    """Build :class:`._femba_net.FEMBA` (imports torch)."""
    from ._femba_net import FEMBA

    return FEMBA(**kwargs)
