"""BIOT (Yang et al., NeurIPS 2023): 16 bipolar TCP derivations, STFT tokens."""

from __future__ import annotations

import numpy as np

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    build_with_sfreq,
    features_vector,
)

UV_PER_V = 1e-6  # the authors' data are volts (datasets/TUAB/process.py:60)


def _percentile95(x):
    # BIOT's preprocessing: each channel divided by its 95th percentile of |amplitude|.
    q = np.quantile(np.abs(x), 0.95, axis=-1, keepdims=True)
    # The authors add 1e-8 to the quantile of volts (utils.py:29-32): 0.01 uV here.
    return (x / (q + 1e-8 / UV_PER_V)).astype(x.dtype, copy=False)


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/biot.npz (biot.md)",
        "the authors' BIOTEncoder, process.py derivations and utils.py scaling: network and "
        "read-out on the authors' prepared input: equal within 1e-5 relative; whole path through "
        "apply_recipe equal within 1e-5",
    ),
    FidelityCheck(
        "scaling epsilon",
        "fixed",
        "BIOT utils.py:29-32",
        "1e-8 is added to the 95th percentile of volts: 0.01 uV (was 1e-8 uV, 1.5e-4 apart)",
    ),
    FidelityCheck(
        "resampling",
        "fixed",
        "BIOT datasets/TUAB/process.py:58",
        "raw.resample(200) on the recording (apply_recipe); per epoch with MNE's FFT 0.1 % away "
        "(polyphase: 2 %)",
    ),
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
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=(("resample", {"sfreq": 200.0}),),
    recipe_source="BIOT datasets/TUAB/process.py:58 (no filter; the derivations are the "
    "contract's)",
    reference_fixture="biot",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("PREST", "SHHS"),
    reference="Yang et al., NeurIPS 2023",
    peft_targets=("to_q", "to_k", "to_v", "to_out"),
)
