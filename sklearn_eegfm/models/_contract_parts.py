"""Parts that model modules assemble their contracts from.

Amplitude scales, constructor arguments and token read-outs that several models share.
A part true of one model only lives in that model's module of ``zoo/``. Generic
machinery below the zoo: nothing here imports a model module.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np


# ----------------------------------------------------------------------------- scaling
@dataclass(frozen=True)
class Times:
    """Scale microvolts by a constant ``factor`` (e.g. 0.01 for "microvolts / 100")."""

    factor: float

    def __call__(self, x):
        return x * x.dtype.type(self.factor)


def zscore(x):
    """Z-score each channel over time (population std, eps 1e-6), in the dtype of ``x``."""
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return ((x - mean) / (std + 1e-6)).astype(x.dtype, copy=False)


# ----------------------------------------------------------------------------- building
def chs_info(backbone):
    """Braindecode's ``chs_info`` for the model channels (positions, else the template's)."""
    pos = backbone.positions
    if pos is None:
        from ._channels import standard_positions

        pos = standard_positions(backbone.model_ch_names)
    return [
        {"ch_name": n, "kind": "eeg", "loc": np.r_[p, np.zeros(9)]}
        for n, p in zip(backbone.model_ch_names, pos)
    ]


def build_basic(backbone):
    """Return constructor arguments ``n_chans``, ``n_times`` and a 2-output head."""
    return {"n_chans": len(backbone.model_ch_names), "n_times": backbone.n_times, "n_outputs": 2}


def build_with_sfreq(backbone):
    """:func:`build_basic` plus the contract's ``sfreq``."""
    return {**build_basic(backbone), "sfreq": backbone.contract.sfreq}


def build_with_chs(backbone):
    """Return constructor arguments with ``chs_info`` (names, positions) and ``sfreq``."""
    return {
        "chs_info": chs_info(backbone),
        "n_times": backbone.n_times,
        "n_outputs": 2,
        "sfreq": backbone.contract.sfreq,
    }


# ----------------------------------------------------------------------------- read-out
def token_grid(out):
    """Tokens and CLS token from a braindecode ``return_features`` dict."""
    return out["features"], out.get("cls_token")


def features_grid(model, x, backbone):
    """Braindecode's ``return_features`` as it is: a (B, C, P, D) grid."""
    return token_grid(model(x, return_features=True))


def features_vector(model, x, backbone):
    """One (B, D) feature vector per epoch, as a 1 x 1 grid."""
    f, _ = token_grid(model(x, return_features=True))
    return f[:, None, None, :], None


def features_channel_major(model, x, backbone):
    """(B, C * n_tokens, D) with channels outermost, as a (B, C, n_tokens, D) grid."""
    f, cls = token_grid(model(x, return_features=True))
    b, n, d = f.shape
    return f.reshape(b, x.shape[1], n // x.shape[1], d), cls


def features_sequence(model, x, backbone):
    """Return a (B, P, D) patch sequence without a channel axis as a 1-channel grid."""
    f, cls = token_grid(model(x, return_features=True))
    return f[:, None], cls


def hooked_output(module, call, *, inputs=False):
    """Run ``call()`` and return what ``module`` received (``inputs``) or returned.

    Parameters
    ----------
    module : torch.nn.Module
        A submodule of the network ``call`` runs.
    call : callable
        Runs the forward pass.
    inputs : bool
        Return the module's first input instead of its output.

    Returns
    -------
    seen, result : torch.Tensor, object
        What the module saw in this thread's ``call``, and what ``call`` returned.
    """
    seen = {}
    # The hook sees every forward of the module, also those other threads run at the
    # same time on a shared network: only this thread's is kept.
    caller = threading.get_ident()

    def keep(mod, inp, out):
        if threading.get_ident() == caller:
            seen.setdefault("v", inp[0] if inputs else out)

    hook = module.register_forward_hook(keep)
    try:
        result = call()
    finally:
        hook.remove()
    return seen["v"], result


def pooled_layer_norm(v):
    """Normalise the last axis like a fresh LayerNorm (unit scale, zero shift, eps 1e-6).

    LaBraM's ``fc_norm`` at the start of fine-tuning (``modeling_finetune.py:300``,
    ``norm_layer=partial(nn.LayerNorm, eps=1e-6)`` at ``:470``); a linear head on top
    absorbs the scale and shift it would learn.
    """
    import torch

    return torch.nn.functional.layer_norm(v, v.shape[-1:], eps=1e-6)


# CBraMod's preparation of EEGMMIDB (CBraMod preprocessing/preprocessing_physio.py:43-51),
# which REVE's PhysioNet-MI task reads and which stands in for CodeBrain's and EEG-DINO's.
CBRAMOD_EEGMMIDB_RECIPE = (
    ("set_eeg_reference", {"ref_channels": "average"}),
    ("filter", {"l_freq": 0.3, "h_freq": None}),
    ("notch_filter", {"freqs": 60.0}),
    ("resample", {"sfreq": 200.0}),
)
