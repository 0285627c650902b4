"""BIOT (Yang et al., NeurIPS 2023): 16 bipolar TCP derivations, STFT tokens.

The model's datasheet: its preparation and read-out, its fidelity records (each citing
the authors' file and line), its checkpoint layouts, and last its contract (hub
repository, licence, reference fixture).
"""

from __future__ import annotations

import numpy as np

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    build_with_sfreq,
    features_vector,
)


def _percentile95(x):
    # BIOT's preprocessing: each channel divided by its 95th percentile of |amplitude|.
    q = np.quantile(np.abs(x), 0.95, axis=-1, keepdims=True)
    return (x / (q + 1e-8)).astype(np.float32)


FIDELITY = (
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("biot"),
        "the authors' .ckpt keys (biot.*) mapped onto braindecode's",
    ),
    FidelityCheck(
        "channels",
        "verified",
        "braindecode biot.py BIOT_CHANNEL_ORDER",
        "16 bipolar TCP derivations, in braindecode's order",
    ),
    FidelityCheck(
        "units",
        "verified",
        "BIOT utils.py:28-31",
        "each channel divided by its 95th percentile of |amplitude|",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (BIOT EEG-PREST-16-channels.ckpt)",
        "ycq091044/BIOT model/biot.py:66 (BIOTEncoder); run_example.py:107",
        # ``index`` is range(n_channels) (biot.py:97-98), braindecode's implicit order.
        drop=("index",),
        rename=((r"^", "encoder."),),
    ),
)


CONTRACT = FMContract(
    name="biot",
    model_cls="BIOT",
    sfreq=200.0,
    patch_len=200,
    channels="bipolar",
    bipolar_ref="biot:BIOT_CHANNEL_ORDER",
    n_used=16,
    units="per-channel 95th percentile of |amplitude| = 1",
    scale=_percentile95,
    build_kwargs=build_with_sfreq,
    features=features_vector,
    embed_dim=256,
    hub_repo="braindecode/biot-pretrained-prest-16chs",
    licence="MIT",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("PREST", "SHHS"),
    reference="Yang et al., NeurIPS 2023",
    peft_targets=("to_q", "to_k", "to_v", "to_out"),
)
