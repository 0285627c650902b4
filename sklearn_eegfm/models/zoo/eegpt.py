"""EEGPT (Wang et al., NeurIPS 2024): a dual self-supervised transformer, 256 Hz.

The model's datasheet: its preparation and read-out, its fidelity records (each citing
the authors' file and line), its checkpoint layouts, and last its contract (hub
repository, licence, reference fixture).
"""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    Times,
    build_with_chs,
    features_sequence,
)


def _build_eegpt(backbone):
    # braindecode's default patch_stride=32 overlaps; pretraining used none.
    return {
        **build_with_chs(backbone),
        "chan_proj_type": "none",
        "patch_stride": backbone.contract.patch_len,
    }


FIDELITY = (
    FidelityCheck(
        "patches",
        "fixed",
        "EEGPT pretrain/modeling_pretraining.py:665",
        "non-overlapping 64-sample patches (patch_stride=None); braindecode defaults to 32",
    ),
    FidelityCheck(
        "pooling",
        "fixed",
        "EEGPT downstream/linear_probe_EEGPT_BCIC2A.py:86-92",
        "per-patch summaries flattened (default pooling 'flatten')",
    ),
    FidelityCheck(
        "reference",
        "fixed",
        "EEGPT datasets/pretrain/prepare_pretrain_dataset.py:51",
        "average reference (x - x.mean over channels), a contract step",
    ),
    FidelityCheck(
        "units",
        "verified",
        "EEGPT datasets/pretrain/prepare_pretrain_dataset.py:170",
        "volts x 1e3 (millivolts)",
    ),
    FidelityCheck("licence", "fixed", "EEGPT LICENSE", "Apache-2.0, not MIT"),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("eegpt"),
        "eegpt_mcae_58chs_4s_large4E.ckpt target_encoder.* mapped onto braindecode's",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (EEGPT eegpt_mcae_58chs_4s_large4E.ckpt)",
        "BINE022/EEGPT pretrain/engine_pretraining.py:44-83; the probe keeps "
        "target_encoder.* (downstream/linear_probe_EEGPT_BCIC2A.py:64-69)",
        drop=("encoder.*", "predictor.*", "reconstructor.*"),
        from_model=("chans_id",),
    ),
    # chans_id indexes the input's channels in EEGPT's vocabulary: it belongs to the
    # model built for this input, not to the file (which may hold its own montage's).
    CheckpointLayout(
        "braindecode",
        "braindecode eegpt.py chans_id buffer",
        from_model=("chans_id",),
        native=True,
    ),
)


CONTRACT = FMContract(
    name="eegpt",
    model_cls="EEGPT",
    sfreq=256.0,
    # Non-overlapping 64-sample patches: EEGPT pretrain/modeling_pretraining.py:665
    # (patch_stride=None), engine_pretraining.py:46, linear_probe_EEGPT_BCIC2A.py:45.
    patch_len=64,
    channels="subset",
    vocabulary_ref="eegpt:EEGPT_CHANNELS",
    # V -> mV: datasets/pretrain/prepare_pretrain_dataset.py:170
    units="millivolts",
    scale=Times(1e-3),
    build_kwargs=_build_eegpt,
    features=features_sequence,
    embed_dim=2048,
    # The authors' probe flattens the per-patch summaries (linear_probe_EEGPT_BCIC2A.py
    # :86-92: z.flatten(2), a per-patch linear layer, then flatten(1)).
    pooling="flatten",
    # Average reference: prepare_pretrain_dataset.py:51 (x - x.mean(-2), channels).
    rereference="average",
    hub_repo="braindecode/eegpt-pretrained",
    licence="Apache-2.0",  # EEGPT repository LICENSE
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("PhysioNet MI (EEGMMIDB)", "HGD", "TSU", "SEED", "M3CV"),
    reference="Wang et al., NeurIPS 2024",
    peft_targets=("qkv", "proj"),
)
