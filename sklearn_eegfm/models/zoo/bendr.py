"""BENDR (Kostas et al., 2021): a convolutional encoder and contextualizer, dn3 scaling."""

from __future__ import annotations

import numpy as np

from ..._checkpoint_layouts import CheckpointLayout
from ...utils._imports import import_braindecode
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    hooked_output,
)


def bendr_unnormed_context(backbone=None, **kwargs):
    """Return braindecode's BENDR without the final LayerNorm the authors never apply.

    The authors' contextualizer defines ``self.norm`` (BENDR ``dn3_ext.py:505``) but its
    forward goes from the transformer layers straight to ``output_layer``
    (``dn3_ext.py:576-581``); braindecode 1.8.1 applies it (``bendr.py:586``). The norm's
    parameters stay in the state dict (the published files hold them) and are unused.

    Parameters
    ----------
    backbone : Backbone | None
        The fitted plan (unused).
    **kwargs
        braindecode ``BENDR`` constructor arguments.

    Returns
    -------
    model : braindecode.models.BENDR
        Computing the authors' network.
    """
    import torch

    class UnusedNorm(torch.nn.LayerNorm):
        def forward(self, x):
            return x

    model = import_braindecode("models").BENDR(**kwargs)
    old = model.contextualizer.norm
    new = UnusedNorm(old.normalized_shape, eps=old.eps)
    new.load_state_dict(old.state_dict())
    model.contextualizer.norm = new
    return model


# TUEG's data range in dn3's pretraining configuration (BENDR ``configs/pretraining.yml``
# :45-46, ``data_max: 3276.7``, ``data_min: -1583.93``). dn3 divides the trial's range in
# volts by it (it reads MNE's data in volts, dn3 ``data/dataset.py:305``; ``transforms/
# instance.py:347, 356``), so pretraining's SCALE channel was 2 * (~0 - 0.5) = -1.0.
BENDR_MAX_SCALE = 3276.7 - (-1583.9258304722666)
UV_TO_V = 1e-6


def _dn3_scale(trial_range_uv):
    """dn3's SCALE value for trials whose range is given in microvolts."""
    return 2 * (np.minimum(trial_range_uv * UV_TO_V / BENDR_MAX_SCALE, 1.0) - 0.5)


# dn3's Deep1010 EEG block (dn3 ``transforms/channels.py:17-45``, ``EEG_INDS`` at :49):
# min-max scaling spans every EEG channel of the recording that maps into it.
DEEP1010_EEG = (
    "NZ FP1 FPZ FP2 AF7 AF3 AFZ AF4 AF8 F9 F7 F5 F3 F1 FZ F2 F4 F6 F8 F10 FT9 FT7 FC5 FC3 "
    "FC1 FCZ FC2 FC4 FC6 FT8 FT10 T9 T7 T3 C5 C3 C1 CZ C2 C4 C6 T4 T8 T10 TP9 TP7 CP5 CP3 "
    "CP1 CPZ CP2 CP4 CP6 TP8 TP10 P9 P7 T5 P5 P3 P1 PZ P2 P4 P6 T6 P8 P10 PO7 PO3 POZ PO4 "
    "PO8 O1 OZ O2 IZ"
).split()


def bendr_span(x_uv, backbone):
    """Trial statistics dn3 takes on the user's channels, before they are reduced to 19.

    dn3's ``MappingDeep1010.__call__`` (``transforms/instance.py:354-368``) computes the
    SCALE channel from the whole trial's range relative to the dataset range, then
    min-max scales the Deep1010 EEG block jointly (``utils.py:67-70``), a block whose
    absent channels are zero rows (``instance.py:359``).

    Parameters
    ----------
    x_uv : ndarray, shape (n_epochs, n_user_channels, n_times)
        The user's epochs, microvolts.
    backbone : Backbone
        Gives the user's channel names.

    Returns
    -------
    span : dict
        ``lo``, ``hi`` (min-max span, shape (n, 1, 1)) and ``scale`` (SCALE value, (n,)).
    """
    from .._channels import normalize_name

    names = backbone.ch_names_in
    eeg = [i for i, n in enumerate(names) if normalize_name(n, aliases=False) in DEEP1010_EEG]
    used = x_uv[:, eeg] if eeg else x_uv
    lo = np.minimum(used.min(axis=(1, 2), keepdims=True), 0.0)  # absent rows are 0
    hi = np.maximum(used.max(axis=(1, 2), keepdims=True), 0.0)
    scale = _dn3_scale(x_uv.max(axis=(1, 2)) - x_uv.min(axis=(1, 2)))
    return {"lo": lo, "hi": hi, "scale": scale}


def bendr_scale(x, lo=None, hi=None, scale=None):
    """Min-max to [-1, 1] over dn3's span, plus the SCALE channel dn3 computes.

    Parameters
    ----------
    x : ndarray, shape (n, 19, t)
        The 19 model channels, microvolts.
    lo, hi, scale : ndarray | None
        From :func:`bendr_span`; the 19 channels' own span and SCALE when None.

    Returns
    -------
    x : ndarray, shape (n, 20, t)
        The dtype of ``x``.
    """
    if lo is None:
        lo = np.minimum(x.min(axis=(1, 2), keepdims=True), 0.0)
        hi = np.maximum(x.max(axis=(1, 2), keepdims=True), 0.0)
        scale = _dn3_scale(x.max(axis=(1, 2)) - x.min(axis=(1, 2)))
    scaled = 2 * (x - lo) / np.maximum(hi - lo, 1e-6) - 1
    scale_ch = np.broadcast_to(np.asarray(scale, x.dtype)[:, None, None], x[:, :1].shape)
    return np.concatenate([scaled, scale_ch], axis=1).astype(x.dtype, copy=False)


def features_bendr(model, x, backbone):
    """BENDR's contextualizer at the last position, where the authors' classifier reads.

    BENDR ``dn3_ext.py:94`` (``BENDRClassification.features_forward``): ``context[:, :,
    -1]``; braindecode reads the start token, index 0 (``bendr.py:385``).
    """
    z, _ = hooked_output(model.contextualizer, lambda: model(x))
    return z[:, :, -1][:, None, None, :], None


def _build_bendr(backbone):
    # 19 electrodes + the SCALE channel that the scaling step appends.
    return {
        "n_chans": len(backbone.model_ch_names) + 1,
        "n_times": backbone.n_times,
        "n_outputs": 2,
    }


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/bendr.npz (bendr.md)",
        "dn3's MappingDeep1010, TemporalInterpolation and To1020 and BENDR's classes: network and"
        " read-out on the authors' prepared input: equal within 1e-5 relative; whole path from "
        "160-Hz 6-s epochs equal within 1e-5; both held in float64 (the seeded network amplifies"
        " float32 rounding: the authors' own float32 features are 8e-4 from their float64 ones)",
    ),
    FidelityCheck(
        "resampling",
        "fixed",
        "dn3 transforms/instance.py:172-210; configuratron/config.py:614-616; BENDR "
        "configs/downstream.yml:9",
        "nearest-neighbour interpolation of each trial to 256 Hz (was polyphase)",
    ),
    FidelityCheck(
        "SCALE channel",
        "fixed",
        "dn3 transforms/instance.py:347, 354-368; data/dataset.py:305; BENDR configs/"
        "pretraining.yml:45-46",
        "2 * (min(trial range in volts / TUEG range, 1) - 0.5) = -1.0, as in pretraining (the "
        "range was taken in microvolts: -0.72 to -0.79)",
    ),
    FidelityCheck(
        "min-max span",
        "fixed",
        "dn3 transforms/instance.py:361-365; dn3 utils.py:67-70",
        "joint min-max over the trial's Deep1010 EEG channels (absent ones are 0)",
    ),
    FidelityCheck(
        "read-out", "fixed", "BENDR dn3_ext.py:94", "last position of the contextualizer"
    ),
    FidelityCheck(
        "architecture",
        "fixed",
        "BENDR dn3_ext.py:505, 576-581",
        "the contextualizer's final LayerNorm is defined but never applied",
    ),
    FidelityCheck("licence", "fixed", "BENDR repository", "no licence file published"),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("bendr"),
        "encoder.pt / contextualizer.pt keys mapped onto braindecode's",
    ),
    FidelityCheck(
        "channels T5/T6 (P7/P8)",
        "deviates",
        "dn3 transforms/channels.py:17-45, 61-66, 117-123, 263, 286; transforms/"
        "instance.py:404-412; BENDR configs/pretraining.yml:56-60, pretrain.py:25",
        "TUEG's 'EEG T5-REF' resolves to Deep1010's T5 slot (T5/T6 are To1020's inputs "
        "12 and 16): a user's P7/P8 fill those slots, the sites pretraining saw there. dn3 "
        "run as is on EEGMMIDB's names leaves them zero (P7 -> Deep1010's P7 row, which "
        "To1020 drops; 75 % feature difference, reference/bendr.npz dn3_asis_mean); rename "
        "P7/P8 away to get that",
    ),
    FidelityCheck(
        "channels T7/T8 (T3/T4)",
        "unverified",
        "dn3 transforms/instance.py:404-412; dn3 commits 12fa057 (2020-11-23) and "
        "82c6b69 (2020-11-30); BENDR README.md:12",
        "TUEG's T3/T4 land in Deep1010's T3/T4 slots; To1020 took them until 82c6b69 "
        "switched it to T7/T8 (in v0.2-alpha, the release BENDR's README recommends), "
        "which TUEG never fills. Which dn3 the published weights were pretrained with is "
        "not recorded: the contract feeds a user's T7/T8 (or T3/T4) there, the only slot "
        "for those sites among the 20 inputs",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (BENDR encoder.pt + contextualizer.pt, under encoder./contextualizer.)",
        "SPOClab-ca/BENDR dn3_ext.py:347-581 (ConvEncoderBENDR, BENDRContextualizer)",
        drop=("contextualizer.mask_replacement",),
        rename=(
            (
                r"relative_position\.0\.weight_g$",
                "relative_position.0.parametrizations.weight.original0",
            ),
            (
                r"relative_position\.0\.weight_v$",
                "relative_position.0.parametrizations.weight.original1",
            ),
            (
                r"^contextualizer\.input_conditioning\.4\.",
                "contextualizer.input_conditioning.3.",
            ),
        ),
        squeeze=("contextualizer.input_conditioning.3.weight",),
    ),
)


CONTRACT = FMContract(
    name="bendr",
    model_cls="BENDR",
    sfreq=256.0,
    patch_len=96,
    channels="fixed",
    vocabulary_ref="bendr:BENDR_CHANNEL_ORDER",
    n_used=19,
    units="min-max scaled to [-1, 1] over the trial's EEG channels, plus dn3's SCALE "
    "channel (trial range / TUEG range)",
    scale=bendr_scale,
    prescale=bendr_span,
    build_kwargs=_build_bendr,
    features=features_bendr,  # last position, as the authors' classifier
    network=bendr_unnormed_context,
    # dn3's TemporalInterpolation (transforms/instance.py:172-210, mode 'nearest'), per
    # trial (configuratron/config.py:614-616), with BENDR's downstream sfreq 256.
    resampling="nearest",
    embed_dim=512,
    poolings=("mean",),
    hub_repo="braindecode/braindecode-bendr",
    # + the authors' encoder.pt, joined with contextualizer.pt beside it
    hub_files=("model.safetensors", "pytorch_model.bin", "encoder.pt"),
    # The authors save the encoder and contextualizer apart (dn3_ext.py:353-354 loads each
    # into its module; pretrain.py saves them as encoder.pt and contextualizer.pt).
    checkpoint_parts=(("encoder.pt", "encoder."), ("contextualizer.pt", "contextualizer.")),
    licence="no licence published (the BENDR repository has no licence file)",
    recipe=(),
    recipe_source="BENDR configs/downstream_datasets.yml mmidb (no filter); dn3 interpolates each "
    "trial, as the contract does",
    reference_fixture="bendr",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("TUEG",),
    reference="Kostas et al., 2021",
    peft_targets=("linear1", "linear2"),
)
