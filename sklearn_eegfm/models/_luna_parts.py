"""LUNA's front-end as the package builds it, shared by the LUNA and LuMamba contracts.

braindecode's LUNA with the authors' two LayerNorms restored, LUNA's per-channel
normalisation and its placement of bipolar derivations. LuMamba (BioFoundation
models/LuMamba.py) is LUNA's front-end followed by Mamba blocks, so both model modules
build on these instead of copies.
"""

from __future__ import annotations

import numpy as np

from ..utils._imports import import_braindecode


def _normed_mlp_class():
    import torch

    class NormedMlp(torch.nn.Module):
        """timm's ``Mlp(norm_layer=nn.LayerNorm)``: fc1, act, drop, norm, fc2, drop.

        Reuses the braindecode ``_Mlp``'s layers (same keys, same random init) and adds
        the LayerNorm over the hidden features that braindecode leaves out.
        """

        def __init__(self, mlp):
            super().__init__()
            self.fc1, self.act, self.drop, self.fc2 = mlp.fc1, mlp.act, mlp.drop, mlp.fc2
            self.norm = torch.nn.LayerNorm(mlp.fc1.out_features)

        def forward(self, x):
            x = self.norm(self.drop(self.act(self.fc1(x))))
            return self.drop(self.fc2(x))

    return NormedMlp


def luna_with_norms(backbone=None, **kwargs):
    """Return braindecode's LUNA with the authors' two LayerNorms.

    The authors build ``channel_location_embedder`` and ``cross_attn.ffn`` as timm
    ``Mlp(..., norm_layer=nn.LayerNorm)`` (BioFoundation ``models/LUNA.py:222-224`` and
    ``:138``); braindecode 1.8.1 drops both norms (``luna.py:184-191``, ``:772-778``) while
    its own rename table lists ``channel_location_embedder.0.norm`` (``luna.py:158``), so
    the published file holds them and a strict load would otherwise fail.

    Parameters
    ----------
    backbone : Backbone | None
        The fitted plan (unused).
    **kwargs
        braindecode ``LUNA`` constructor arguments.

    Returns
    -------
    model : braindecode.models.LUNA
        With ``channel_location_embedder.norm`` and ``cross_attn.ffn.norm``.
    """
    model = import_braindecode("models").LUNA(**kwargs)
    normed = _normed_mlp_class()
    model.channel_location_embedder = normed(model.channel_location_embedder)
    model.cross_attn.ffn = normed(model.cross_attn.ffn)
    return model


def luna_zscore(x):
    """Per-channel z-score as LUNA's tasks compute it (unbiased std, eps 1e-8).

    BioFoundation ``tasks/pretrain_task_LUNA.py:30-39`` (``ChannelWiseNormalize``: torch's
    ``std``, which divides by n - 1), applied to every batch at ``:114-115``.

    Parameters
    ----------
    x : ndarray, shape (n, c, t)
        Microvolts (the scale cancels).

    Returns
    -------
    x : ndarray, shape (n, c, t)
        The dtype of ``x``.
    """
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True, ddof=1)
    return ((x - mean) / (std + 1e-8)).astype(x.dtype, copy=False)


def _bipolar_parts(name):
    """``(anode, cathode)`` template names of an ``"A-B"`` derivation, else None."""
    from ._channels import normalize_name, standard_positions

    if np.isfinite(standard_positions([name])).all():  # "EEG FP1-REF" is monopolar
        return None
    parts = normalize_name(name).split("-")
    if len(parts) != 2 or not np.isfinite(standard_positions(parts)).all():
        return None
    return parts


def luna_positions(backbone, montage_positions):
    """Positions as LUNA's pretraining computed them: a derivation sits at its midpoint.

    LUNA was pretrained on TUEG in the bipolar TCP montage (BioFoundation
    ``make_datasets/make_tueg_bipolar.py:180-198``); each derivation ``"A-B"`` got the
    mean of the two electrodes' template positions (``models/modules/
    channel_embeddings.py:106-123``, ``standard_1005`` in the head frame). MNE's
    ``set_bipolar_reference`` gives a derivation its anode's position instead, so
    derivation names are placed here, from the template; monopolar channels keep their
    montage positions (the template's for standard names, as in pretraining).

    Parameters
    ----------
    backbone : Backbone
        Gives the model channels and the report.
    montage_positions : ndarray, shape (n_channels, 3)
        From the Epochs' montage, completed from the template; NaN where unknown.

    Returns
    -------
    positions : ndarray, shape (n_channels, 3)
        Head frame, metres.
    """
    from ._channels import standard_positions

    out = np.array(montage_positions, dtype=float, copy=True)
    placed = []
    for i, name in enumerate(backbone.model_ch_names):
        parts = _bipolar_parts(name)
        if parts is not None:
            out[i] = standard_positions(parts).mean(axis=0)
            placed.append(name)
    if placed:
        more = " ..." if len(placed) > 4 else ""
        backbone.report.append(
            f"positions: {len(placed)} bipolar derivations at the midpoint of their two "
            f"electrodes, as in LUNA's pretraining ({placed[:4]}{more})"
        )
    return out
