"""LaBraM (Jiang et al., ICLR 2024): a transformer over channel-patches of a named vocabulary."""

from __future__ import annotations

from ..._checkpoint_layouts import LABRAM_NEURAL_TRANSFORMER
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    Times,
    hooked_output,
)


def _build_labram(backbone):
    # Built on the full vocabulary; the batch's channels are named at forward time.
    return {
        "n_chans": len(backbone.contract.vocabulary),
        "n_times": backbone.n_times,
        "n_outputs": 2,
    }


def _labram_state(state, own):
    """Cut the checkpoint's temporal embedding to this window's patches.

    LaBraM is published with a 16-position temporal embedding (15 patches + CLS) and,
    like the reference implementation, uses only its first entries for shorter windows.
    """
    key = "temporal_embedding"
    for name in (key, "student.time_embed"):  # braindecode's, the authors' key
        if name in state and key in own and state[name].shape[1] > own[key].shape[1]:
            state = {**state, name: state[name][:, : own[key].shape[1]]}
    return state


def features_labram(model, x, backbone):
    """LaBraM's patch tokens before the pretrained final norm; the CLS token after it.

    The authors fine-tune with ``use_mean_pooling=True`` (LaBraM
    ``run_class_finetuning.py:127-129``): the pretrained ``norm`` becomes Identity and a
    fresh ``fc_norm`` LayerNorm (eps 1e-6) normalises the mean of the patch tokens
    (``modeling_finetune.py:299-300, 374-381``); the contract's ``pooled_norm`` applies
    that LayerNorm after pooling. ``--use_cls`` keeps the pretrained ``norm`` and reads
    the CLS token (``:382-388``), as the ``cls`` pooling does. braindecode's
    ``return_features`` normalises every token with the pretrained ``norm``
    (``labram.py:699``).
    """
    z, out = hooked_output(
        model.norm,
        lambda: model(x, return_features=True, ch_names=list(backbone.model_ch_names)),
        inputs=True,
    )
    f = z[:, 1:]
    b, n, d = f.shape
    c = x.shape[1]
    return f.reshape(b, c, n // c, d), out["cls_token"]


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/labram.npz (labram.md)",
        "the authors' NeuralTransformer loaded as run_class_finetuning.py:334-371: network and "
        "read-out on the authors' prepared input: equal within 1e-5 relative; whole path through "
        "apply_recipe equal within 1e-5",
    ),
    FidelityCheck(
        "resampling",
        "fixed",
        "LaBraM dataset_maker/make_TUAB.py:64-66",
        "0.1-75 Hz, 50-Hz notch and raw.resample(200) on the recording (apply_recipe); epochs "
        "resampled with MNE's FFT are 0.2 % away (polyphase: 0.7 %)",
    ),
    FidelityCheck(
        "checkpoint file",
        "fixed",
        "LaBraM utils.py:587-593 (save_model)",
        "its argparse.Namespace is allowed by name when loading; pickled code stays refused",
    ),
    FidelityCheck(
        "channels",
        "fixed",
        "LaBraM utils.py:713 (get_input_chans)",
        "names looked up exactly; T7 and T3 are two learned slots, alias only if absent",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("labram"),
        "labram-base.pth (student.*) mapped onto braindecode's keys",
    ),
    FidelityCheck(
        "read-out",
        "fixed",
        "LaBraM modeling_finetune.py:299-300, 374-388, 470; run_class_finetuning.py:127-129",
        "fine-tuning default use_mean_pooling: pretrained norm dropped, a fresh fc_norm "
        "(LayerNorm, eps 1e-6) on the mean of the patch tokens; braindecode's "
        "return_features applies the pretrained norm (labram.py:699). Default 'mean' "
        "now pools the un-normed tokens, then a fresh LayerNorm; 'cls' keeps the "
        "pretrained norm (the authors' --use_cls)",
    ),
)


CONTRACT = FMContract(
    name="labram",
    model_cls="Labram",
    sfreq=200.0,
    patch_len=200,
    channels="subset",
    vocabulary_ref="labram:LABRAM_CHANNEL_ORDER",
    units="microvolts / 100",
    scale=Times(0.01),
    build_kwargs=_build_labram,
    features=features_labram,  # tokens before the pretrained norm
    pooled_norm=True,  # the authors' fresh fc_norm on the pooled tokens
    embed_dim=200,
    poolings=("mean", "cls", "flatten", "channel"),
    hub_repo="braindecode/labram-pretrained",
    max_times=3000,  # the published temporal embedding covers 15 one-second patches
    adapt_state=_labram_state,
    head_keys=("final_layer.*", "fc_norm.*"),
    licence="MIT",
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=(
        ("filter", {"l_freq": 0.1, "h_freq": 75.0}),
        ("notch_filter", {"freqs": 50.0}),
        ("resample", {"sfreq": 200.0}),
    ),
    recipe_source="LaBraM dataset_maker/make_TUAB.py:64-66 (TUAB: a 50-Hz notch for its mains)",
    reference_fixture="labram",
    fidelity=FIDELITY,
    checkpoint_layouts=(LABRAM_NEURAL_TRANSFORMER,),
    pretraining=(
        "TUEG",
        "BCI Competition IV-1",
        "Emobrain",
        "Grasp and Lift",
        "Inria BCI Challenge",
        "PhysioNet Motor Movement/Imagery (EEGMMIDB)",
        "Raw EEG Data",
        "Resting State",
        "SEED",
        "Siena Scalp",
        "SPIS Resting State",
        "Target vs Non-Target",
    ),
    reference="Jiang et al., ICLR 2024",
    # Its attention applies qkv.weight with F.linear (bypassing the layer).
    peft_targets=("proj", "mlp.0", "mlp.2"),
)
