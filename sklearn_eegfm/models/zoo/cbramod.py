"""CBraMod (Wang et al., ICLR 2025): criss-cross transformer pretrained on TUEG."""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    CBRAMOD_EEGMMIDB_RECIPE,
    Times,
    build_basic,
    hooked_output,
)


def features_cbramod(model, x, backbone):
    """CBraMod's encoder output, without the reconstruction head ``proj_out``.

    The authors set ``backbone.proj_out = nn.Identity()`` before pooling
    (CBraMod ``models/model_for_bciciv2a.py:18``); braindecode's ``return_features``
    returns ``proj_out(encoder)`` (``cbramod.py:250``).
    """
    z, _ = hooked_output(model.encoder, lambda: model(x, return_features=True))
    return z, None


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/cbramod.npz (cbramod.md)",
        "the authors' CBraMod class and preprocessing_physio.py on EEGMMIDB S001R04: network and "
        "read-out on the authors' prepared input: equal within 1e-5 relative; whole path through "
        "apply_recipe equal within 1e-5",
    ),
    FidelityCheck(
        "resampling",
        "fixed",
        "CBraMod preprocessing/preprocessing_physio.py:51",
        "raw.resample(200) on the continuous recording (apply_recipe); epochs are resampled with "
        "MNE's FFT, 0.3 % from the authors' features (polyphase: 1.2 %)",
    ),
    FidelityCheck(
        "pooling",
        "deviates",
        "CBraMod finetune_main.py:26-32 (--classifier all_patch_reps)",
        "the authors' default head flattens every patch representation "
        "(avgpooling_patch_reps is their averaged option); the default 'mean' keeps the "
        "feature size independent of channels and window, pooling='flatten' gives theirs",
    ),
    FidelityCheck(
        "read-out",
        "fixed",
        "CBraMod models/model_for_bciciv2a.py:18",
        "proj_out replaced by Identity before pooling; features are the encoder output",
    ),
    FidelityCheck(
        "channels",
        "verified",
        "CBraMod preprocessing/preprocessing_tueg_for_pretraining.py:13",
        "any channels (criss-cross attention); TUEG 19 channels in pretraining",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("cbramod"),
        "pretrained_weights.pth keys equal braindecode's (plus proj_out)",
    ),
    FidelityCheck(
        "units",
        "verified",
        "CBraMod pretrain_trainer.py:64; preprocessing_tueg_for_pretraining.py:68",
        "microvolts (MNE to_data_frame) divided by 100",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' = braindecode's (CBraMod pretrained_weights.pth)",
        "wjq-learning/CBraMod models/cbramod.py, model_for_bciciv2a.py:17",
        native=True,
    ),
)


CONTRACT = FMContract(
    name="cbramod",
    model_cls="CBraMod",
    sfreq=200.0,
    patch_len=200,
    channels="any",
    units="microvolts / 100",
    scale=Times(0.01),
    build_kwargs=build_basic,
    features=features_cbramod,  # encoder output, proj_out dropped
    embed_dim=200,
    hub_repo="braindecode/cbramod-pretrained",
    licence="MIT",
    pretraining=("TUEG",),
    reference="Wang et al., ICLR 2025",
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=CBRAMOD_EEGMMIDB_RECIPE,
    recipe_source="CBraMod preprocessing/preprocessing_physio.py:43-50 (EEGMMIDB; channel "
    "picking and interpolate_bads left to the user)",
    reference_fixture="cbramod",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    # nn.MultiheadAttention bypasses out_proj.forward: its feed-forward layers
    peft_targets=("linear1", "linear2"),
)
