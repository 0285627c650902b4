"""FEMBA (Tegon et al., 2025): a bidirectional Mamba encoder over (2, 16) patches.

The datasheet shared by the three published sizes (``zoo/femba_tiny.py``,
``zoo/femba_base.py``, ``zoo/femba_large.py``: one contract per module, so one module per
size, each built here): sizes, montage, input scale, read-out, fidelity records (each
citing the authors' file and line), checkpoint layouts, hub files and licence. The
authors' code is pulp-bio/BioFoundation ``models/FEMBA.py`` @ 1923999 (Apache-2.0); the
network (``_femba_net.py``, on ``_mamba.py``) is imported only when a model is built.
"""

from __future__ import annotations

import numpy as np

from .._checkpoint_layouts import CheckpointLayout
from ._contract import FidelityCheck, FMContract

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


def femba_network(backbone=None, **kwargs):
    """Build :class:`._femba_net.FEMBA` (imports torch); ``backbone`` is unused."""
    from ._femba_net import FEMBA

    return FEMBA(**kwargs)


def _features_femba(model, x, backbone):
    # (B, tokens, grid_h * embed_dim): the encoder output, one token per 16 samples
    return model(x)[:, None], None


def _build(size):
    blocks, embed = FEMBA_SIZES[size]

    def build_kwargs(backbone):
        return {
            "n_chans": len(backbone.contract.bipolar),
            "n_times": backbone.n_times,
            "embed_dim": embed,
            "num_blocks": blocks,
        }

    return build_kwargs


FIDELITY = (
    FidelityCheck(
        "architecture",
        "verified",
        "BioFoundation models/FEMBA.py:27-92, 196-279 @ 1923999; tests/models/reference/"
        "femba_tiny.md",
        "plain-PyTorch encoder (patch conv, learned positions, bidirectional Mamba with "
        "residual then LayerNorm) equals the authors' FEMBA class run with mamba_ssm's "
        "selective_scan_ref to <= 1e-5 on real EEGMMIDB windows, seeded weights",
    ),
    FidelityCheck(
        "selective scan",
        "verified",
        "state-spaces/mamba mamba_ssm/ops/selective_scan_interface.py:127-193, "
        "modules/mamba_simple.py:62-206 @ e9594ce; tests/models/reference/mamba_scan.md",
        "chunked closed-form scan equals selective_scan_ref to <= 1e-5 relative (80, 300 "
        "and 1,280 steps, gentle and forgetting step sizes); the Mamba layer equals "
        "mamba_ssm's on its own state dict",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        "../shared/reference/keys/FEMBA_keys.txt (the authors' classes, tiny/base/large/"
        "huge, with and without a head)",
        "encoder keys and shapes equal the authors' for all four sizes; files with the "
        "pretraining Decoder, the MambaClassifier head (FEMBA.py:95-144) or another "
        "classifier.* head load strictly and the report names which; the released files' "
        "own headers could not be read offline",
    ),
    FidelityCheck(
        "units",
        "verified",
        "BioFoundation util/train_utils.py:44-51; config/experiment/FEMBA_finetune.yaml:"
        "38-41, FEMBA_pretrain.yaml:49-51; tasks/finetune_task.py:66-71, 189; "
        "make_datasets/make_tueg_bipolar.py:332",
        "microvolts, then (x - (-20)) / (20 - (-20) + 1e-8) with fixed bounds; the docs' "
        "per-channel interquartile range (docs/model/FEMBA.md:21-29) is not what the code "
        "computes. Which one the released checkpoints saw is not stated anywhere readable",
    ),
    FidelityCheck(
        "channels",
        "verified",
        "BioFoundation datasets/tuh_dataset.py:26-49; make_datasets/make_tueg_bipolar.py:"
        "32-55, 178-198",
        "22 TCP bipolar derivations (anode - cathode of monopolar channels) in this order; "
        "A1/A2 (ear) derivations need ear electrodes: channel_policy='interpolate' "
        "estimates them",
    ),
    FidelityCheck(
        "rate and window",
        "verified",
        "BioFoundation make_datasets/make_tueg_bipolar.py:202-203, 326-344; config/model/"
        "FEMBA_finetune.yaml:23-28",
        "256 Hz, 5-s windows (1,280 samples, 80 tokens of (2, 16) patches); pretraining "
        "band-passed 0.1-75 Hz with a 60 Hz notch, left to the user (epochs.filter)",
    ),
    FidelityCheck(
        "window length",
        "deviates",
        "BioFoundation models/FEMBA.py:250 (pos_embed sized by seq_length)",
        "shorter windows use the first entries of the 80-token position table (as LaBraM's "
        "temporal table is cut); the authors only ran 5-s windows",
    ),
    FidelityCheck(
        "read-out",
        "deviates",
        "BioFoundation models/FEMBA.py:95-144 (MambaClassifier: fc1, GELU, Mamba, mean over "
        "time, fc3)",
        "the embedding is the encoder output averaged over tokens (pooling='mean'); the "
        "released fine-tuned heads are task heads and are not used",
    ),
    FidelityCheck(
        "sizes",
        "verified",
        "BioFoundation docs/model/FEMBA.md:78-85; FEMBA_keys.txt",
        "tiny (2 blocks, 35), base (12, 35), large (4, 79): 7.80M, 46.61M, 77.17M "
        "parameters with the decoder (the docs' table says 7.8M, 47.7M, 77.8M)",
    ),
    FidelityCheck(
        "hub files",
        "unverified",
        "BioFoundation README.md:43-80 (thorir/FEMBA, snapshot with TUAB/TUAR/TUSL "
        "folders, 'TUAR/base.safetensors' at :80); CC BY-ND 4.0 at :55",
        "no listing of PulpBio/FEMBA or thorir/FEMBA could be read offline: both "
        "repositories and both file-name spellings (FEMBA_base / base) are tried",
    ),
)


# The files: the pretraining model (encoder + Decoder, models/FEMBA.py:147-193, 262-264)
# or a fine-tuned one (classifier.*: MambaClassifier, :95-144, or another head). The
# encoder's keys are the authors' (the plain-PyTorch FEMBA keeps them).
CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' encoder only", "BioFoundation models/FEMBA.py:241-260", native=True
    ),
    CheckpointLayout(
        "authors' pretraining (encoder + Decoder)",
        "BioFoundation models/FEMBA.py:147-193, 262-264",
        drop=("decoder.*",),
    ),
    CheckpointLayout(
        "authors' fine-tuned (MambaClassifier head)",
        "BioFoundation models/FEMBA.py:95-144, 266",
        drop=("classifier.fc1.*", "classifier.mamba_1.*", "classifier.fc3.*"),
    ),
    CheckpointLayout(
        "fine-tuned with another classifier.* head (e.g. linear)",
        "BioFoundation models/FEMBA.py:266 (classifier attribute)",
        drop=("classifier.*",),
    ),
)

# The published fine-tuned files (BioFoundation README.md:53-80 names thorir/FEMBA, with
# "TUAR/base.safetensors" at :80; the repository moved to PulpBio/FEMBA as LUNA's did).
HUB_FILES = {
    "tiny": ("TUSL/FEMBA_tiny.safetensors", "TUSL/tiny.safetensors"),
    "base": tuple(
        f"{task}/{stem}.safetensors"
        for stem in ("FEMBA_base", "base")
        for task in ("TUAB", "TUAR", "TUSL")
    ),
    "large": tuple(
        f"{task}/{stem}.safetensors"
        for stem in ("FEMBA_large", "large")
        for task in ("TUAB", "TUAR", "TUSL")
    ),
}


def femba_contract(size):
    """Return the contract of one published FEMBA size (``"tiny"``, ``"base"`` or ``"large"``)."""
    return FMContract(
        name=f"femba_{size}",
        model_cls="FEMBA",
        network=femba_network,
        sfreq=256.0,
        patch_len=16,
        channels="bipolar",
        bipolar_names=TCP_DERIVATIONS,
        n_used=22,
        units="microvolts, (x + 20) / 40",
        scale=femba_quartile_scale,
        build_kwargs=_build(size),
        features=_features_femba,
        embed_dim=11 * FEMBA_SIZES[size][1],
        poolings=("mean", "flatten"),
        max_times=1280,  # the 80-token position table of 5-s windows
        adapt_state=femba_positions_state,
        head_keys=("classifier.*", "decoder.*"),
        hub_repo="PulpBio/FEMBA",
        hub_mirrors=("thorir/FEMBA",),
        hub_files=HUB_FILES[size],
        licence="CC BY-ND 4.0",
        fidelity=FIDELITY,
        checkpoint_layouts=CHECKPOINT_LAYOUTS,
        pretraining=("TUEG (without TUAB/TUAR/TUSL subjects)",),
        reference="Tegon et al., 2025 (FEMBA, arXiv:2502.06438)",
        peft_targets=("in_proj", "x_proj", "out_proj"),
        # the authors' class on real windows: tiny (the sizes share the code)
        reference_fixture="femba_tiny" if size == "tiny" else None,
    )
