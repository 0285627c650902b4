"""EEGPT (Wang et al., NeurIPS 2024): a dual self-supervised transformer, 256 Hz."""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    Times,
    build_with_chs,
    features_sequence,
)

# The 58 channels EEGPT was pretrained on, in its order (EEGPT pretrain/
# engine_pretraining.py:23-31 use_channels_names); its probes keep only these
# (downstream/linear_probe_EEGPT_PhysioP300.py:40-55). braindecode's table has 62: AF7,
# AF8, ... would reach embeddings pretraining never trained.
EEGPT_PRETRAINING_CHANNELS = tuple(
    "FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 "
    "T7 C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 P7 P5 P3 P1 PZ P2 P4 "
    "P6 P8 PO7 PO3 POZ PO4 PO8 O1 OZ O2".split()
)


def _build_eegpt(backbone):
    # braindecode's default patch_stride=32 overlaps; pretraining used none. The
    # authors' ERP probes overlap by half: dataclasses.replace(contract, patch_step=32).
    return {
        **build_with_chs(backbone),
        "chan_proj_type": "none",
        "patch_stride": backbone.contract.step,
    }


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/eegpt.npz (eegpt.md)",
        "the authors' EEGTransformer as their probes load it (target_encoder.*): network and "
        "read-out on the authors' prepared input: equal within 1e-5 relative, with patch_stride "
        "64 and 32; whole path from 160-Hz epochs equal within 1e-5",
    ),
    FidelityCheck(
        "channels",
        "fixed",
        "EEGPT pretrain/engine_pretraining.py:23-31; "
        "downstream/linear_probe_EEGPT_PhysioP300.py:40-55",
        "the 58 pretraining channels (braindecode's table has 62: AF7, AF8 ... reached embeddings"
        " pretraining never trained; 6 % feature difference on EEGMMIDB)",
    ),
    FidelityCheck(
        "resampling",
        "verified",
        "EEGPT datasets/downstream/prepare_PhysioNetP300.py:34",
        "epochs.resample(256), MNE's FFT per epoch, as the contract (pretraining interpolated "
        "EEGMMIDB to 256 Hz by nearest neighbour, prepare_pretrain_dataset.py:49-57)",
    ),
    FidelityCheck(
        "ERP patch stride",
        "deviates",
        "EEGPT downstream/linear_probe_EEGPT_PhysioP300.py:64",
        "the authors' P300/ERN probes overlap patches (patch_stride=32, 63,488 features); the "
        "default keeps pretraining's 64. Theirs: "
        "FMEmbedder(dataclasses.replace(get_contract('eegpt'), patch_step=32))",
    ),
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
        "EEGPT datasets/pretrain/prepare_pretrain_dataset.py:51, 167-170",
        "average reference over the picked channels (PickElectrode, then x - x.mean), a "
        "contract step; the P300 probe averages before picking (linear_probe_EEGPT_"
        "PhysioP300.py:109), the same on the 58 channels",
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
    vocabulary_names=EEGPT_PRETRAINING_CHANNELS,
    # V -> mV: datasets/pretrain/prepare_pretrain_dataset.py:170
    units="millivolts",
    scale=Times(1e-3),
    build_kwargs=_build_eegpt,
    features=features_sequence,
    embed_dim=2048,
    # The authors' probe flattens the per-patch summaries (linear_probe_EEGPT_BCIC2A.py
    # :86-92: z.flatten(2), a per-patch linear layer, then flatten(1)).
    pooling="flatten",
    # Average reference over the picked channels: prepare_pretrain_dataset.py:51, 167-170
    # (PickElectrode, then x - x.mean(-2) in temporal_interpolation).
    rereference="model-average",
    hub_repo="braindecode/eegpt-pretrained",
    licence="Apache-2.0",  # EEGPT repository LICENSE
    recipe=(),
    recipe_source="EEGPT datasets/pretrain/prepare_pretrain_dataset.py:111-121 (EEGMMIDB epochs, "
    "unfiltered; the contract resamples each epoch, as downstream/prepare_PhysioNetP300.py:34)",
    reference_fixture="eegpt",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("PhysioNet MI (EEGMMIDB)", "HGD", "TSU", "SEED", "M3CV"),
    reference="Wang et al., NeurIPS 2024",
    peft_targets=("qkv", "proj"),
)
