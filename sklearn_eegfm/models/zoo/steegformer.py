"""ST-EEGFormer (Yang et al., ICLR 2026): a ViT over 16-sample patches, 145 slots."""

from __future__ import annotations

import numpy as np

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    build_basic,
    hooked_output,
    zscore,
)


def _clip500_zscore(x):
    # ST-EEGFormer's pretraining: clip at +-500 uV, then z-score each channel.
    return zscore(np.clip(x, -500, 500))


def _build_steegformer(backbone):
    return {**build_basic(backbone), "chan_pos_idx": backbone.extra["chan_pos_idx"]}


def _plan_steegformer(backbone):
    """Resolve each channel's slot in ST-EEGFormer's 145-electrode vocabulary.

    The vocabulary ships with the weights (``steegformer_channels.json`` in the hub
    repository); braindecode downloads it at construction, which we never do.
    """
    import json

    from .._channels import vocabulary_lookup
    from .._weights import WeightsNotFoundError, find_side_file

    names = backbone.model_ch_names
    found = find_side_file(backbone.contract, backbone.weights, "steegformer_channels.json")
    if found is None:
        if backbone.weights.pretrained:
            raise WeightsNotFoundError(
                "ST-EEGFormer's channel vocabulary steegformer_channels.json (from the "
                f"{backbone.contract.hub_repo} hub repository) must sit next to the weights."
            )
        backbone.extra["chan_pos_idx"] = list(range(len(names)))
        backbone.report.append("channel slots: input order (random weights, no vocabulary)")
        return
    # The authors look names up exactly, in lower case (benchmark/neural_networks/util/
    # utils.py:836-844): T3 and T7 are two slots (61 and 65); an alias only stands in for
    # a name the vocabulary lacks.
    vocab = json.loads(found.read_text())
    lookup = vocabulary_lookup(vocab)
    missing = [n for n in names if lookup(n) is None]
    if missing:
        raise ValueError(
            f"ST-EEGFormer's vocabulary lacks {missing}; drop them (epochs.drop_channels) "
            "or rename them to 10-05 names."
        )
    backbone.extra["chan_pos_idx"] = [vocab.index(lookup(n)) for n in names]
    backbone.report.append(f"channel slots from {found.name}")


def features_steegformer(model, x, backbone):
    """ST-EEGFormer's tokens before the final norm, CLS dropped (time-major grid).

    The authors' probe averages un-normalised tokens without CLS (STEEGFormer
    ``benchmark/neural_networks/models/models_vit_eeg.py:146-148``, ``fc_norm``
    commented out); braindecode's ``return_features`` normalises them
    (``steegformer.py:522``). The CLS token keeps its norm, as in the ``cls`` read-out.
    """
    z, out = hooked_output(model.norm, lambda: model(x, return_features=True), inputs=True)
    f = z[:, 1:]
    b, n, d = f.shape
    c = x.shape[1]
    return f.reshape(b, n // c, c, d).transpose(1, 2), out["cls_token"]


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/steegformer.npz (steegformer.md)",
        "the authors' VisionTransformer (global_pool='avg') loaded as util/utils.py:517-540: "
        "network and read-out on the authors' prepared input: equal within 1e-5 relative; whole "
        "path from 160-Hz epochs equal within 1e-5",
    ),
    FidelityCheck(
        "resampling",
        "fixed",
        "STEEGFormer benchmark/neural_networks/util/data_transform.py:9-27",
        "scipy.signal.resample of each trial, unpadded (polyphase 0.4 %, MNE's padded FFT 6 % "
        "away)",
    ),
    FidelityCheck(
        "licence of the weights",
        "unverified",
        "STEEGFormer LICENSE; README.md:57-59",
        "MIT covers the code; the released checkpoints state no licence of their own",
    ),
    FidelityCheck(
        "pooling",
        "fixed",
        "STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:146-148",
        "mean of un-normalised tokens without CLS (fc_norm commented out)",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("steegformer"),
        "checkpoint-200.pth ['model'] is the whole MAE: decoder dropped, timm's fused qkv "
        "cut into queries, keys, values (rows in that order); the authors' mean read-out, "
        "run outside the repository on one random checkpoint, matches ours within 4e-6",
    ),
    FidelityCheck(
        "positions",
        "deviates",
        "STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:56-64, 125, 137",
        "sinusoidal table equal to braindecode's; CLS at row 0, patches at 1..Seq as in "
        "the authors' downstream ViT, whose probes the published scores come from; their "
        "MAE pretraining placed patches at 0..Seq-1 (pretrain/models_mae_eeg.py:283), one "
        "row off",
    ),
    FidelityCheck(
        "window length",
        "fixed",
        "STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:91, 125",
        "at most 511 patches (a 512-row table); braindecode allowed 2047",
    ),
    FidelityCheck(
        "units",
        "verified",
        "STEEGFormer pretrain/util/eeg_dataset.py:295-301",
        "clipped at +-500, then z-scored per channel",
    ),
    FidelityCheck(
        "rate, patches",
        "verified",
        "STEEGFormer README.md:107; pretrain/models_mae_eeg.py:413-418",
        "128 Hz, 16-sample patches",
    ),
    FidelityCheck(
        "channels",
        "fixed",
        "STEEGFormer benchmark/neural_networks/util/utils.py:836-844; pretrain/senloc_file/"
        "sen_chan_idx.pkl (channels_mapping)",
        "names looked up exactly (lower case; T3 and T7 are slots 61 and 65), an alias only "
        "for a name it lacks (was alias-first). The release ships its vocabulary (142 "
        "names, 145 slots) only as this pickle; the fixture writes it in slot order; "
        "steegformer_channels.json from braindecode's hub must sit beside the weights, "
        "and its order was not compared with the pickle",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (ST-EEGFormer checkpoint-200.pth, MAE encoder)",
        "STEEGFormer pretrain/models_mae_eeg.py:73-118, 413-418; timm Block",
        # The sinusoidal table (models_mae_eeg.py:56-64) equals braindecode's, which
        # rebuilds it (steegformer.py:550-555, non-persistent).
        drop=("decoder_*", "dec_*", "mask_token", "enc_temporal_emd.pe"),
        rename=(
            (r"^enc_channel_emd\.channel_transformation\.", "channel_pos.embedding."),
            (r"^blocks\.(\d+)\.norm1\.", r"encoder.\1.0.fn.0."),
            (r"^blocks\.(\d+)\.attn\.qkv\.", r"encoder.\1.0.fn.1.qkv."),
            (r"^blocks\.(\d+)\.attn\.proj\.", r"encoder.\1.0.fn.1.projection."),
            (r"^blocks\.(\d+)\.norm2\.", r"encoder.\1.1.fn.0."),
            (r"^blocks\.(\d+)\.mlp\.fc1\.", r"encoder.\1.1.fn.1.0."),
            (r"^blocks\.(\d+)\.mlp\.fc2\.", r"encoder.\1.1.fn.1.3."),
        ),
        split=((r"\.qkv\.", (".queries.", ".keys.", ".values.")),),
    ),
)


CONTRACT = FMContract(
    name="steegformer",
    model_cls="STEEGFormer",
    sfreq=128.0,
    patch_len=16,
    channels="any",
    max_channels=145,
    units="clipped at +-500 uV, then per-channel z-score",
    scale=_clip500_zscore,
    build_kwargs=_build_steegformer,
    features=features_steegformer,  # un-normalised tokens, CLS dropped
    plan=_plan_steegformer,
    recipe=(),
    recipe_source="ST-EEGFormer benchmark/neural_networks/util/data_transform.py:251-277 (no "
    "filter; the contract resamples and standardises each trial)",
    reference_fixture="steegformer",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    embed_dim=512,
    poolings=("mean", "cls", "flatten", "channel"),
    # The authors' temporal table has 512 rows, row 0 for the CLS token and patches at
    # 1..Seq (STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:91, 125):
    # 511 patches at most; braindecode's 2048-row table goes beyond what they can run.
    max_times=16 * 511,
    # The authors resample each trial with scipy.signal.resample (benchmark/neural_networks/
    # util/data_transform.py:9-27, 268-272), unpadded.
    resampling="scipy-fft",
    hub_repo="braindecode/STEEGFormer-small",
    licence="MIT",
    pretraining=("public BCI datasets: MI, P300, SSVEP, SEED, HGD, ... (authors' list)",),
    reference="Yang et al., ICLR 2026",
    peft_targets=("queries", "keys", "values", "projection"),
)
