"""LUNA (Doner et al., NeurIPS 2025): channel-unified latent queries over positions."""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import chs_info, hooked_output
from .._luna_parts import luna_positions, luna_with_norms, luna_zscore


def _features_luna(model, x, backbone):
    # LUNA has no feature output: read the encoder's normalised latent (B, S, Q * D).
    z, _ = hooked_output(model.norm, lambda: model(x))
    return z[:, None], None


def _build_luna(backbone):
    return {"chs_info": chs_info(backbone), "n_times": backbone.n_times, "n_outputs": 2}


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/luna.npz (luna.md)",
        "the authors' LUNA (mask=None) and ChannelWiseNormalize: network and read-out on the "
        "authors' prepared input: equal within 1e-5 relative; whole path through apply_recipe "
        "equal within 1e-5",
    ),
    FidelityCheck(
        "resampling",
        "fixed",
        "BioFoundation make_datasets/process_raw_eeg.py:171-174",
        "0.1-75 Hz, 60-Hz notch and raw.resample(256) on the recording (apply_recipe: equal "
        "within 1e-5)",
    ),
    FidelityCheck(
        "per-epoch resampling",
        "deviates",
        "tests/models/reference/luna.md; MNE filter.py _resample_fft (npad='auto')",
        "160-Hz epochs resampled one by one (on the exact grid) are 1.9 % from the authors' "
        "features (MNE's per-epoch padding: 2.0 %): the authors' raw.resample pads the "
        "recording to 32768 samples, whose 1.6-fold is no whole number, so their samples "
        "sit a fraction of a sample off (12 % of the input at these epochs, the band "
        "reaching 75 Hz); resampling the whole recording on the exact grid is 2.0 % from "
        "them too, and epochs do not carry the recording's length: apply_recipe is the "
        "exact route",
    ),
    FidelityCheck(
        "mask at evaluation",
        "deviates",
        "BioFoundation tasks/finetune_task_LUNA.py:204-205, 225; models/LUNA.py:277-278",
        "the authors pass an all-zeros mask, which adds randn * 0.02 to the channel locations "
        "even at evaluation (their own features change run to run); the contract passes none, the"
        " deterministic forward the fixture checks",
    ),
    FidelityCheck(
        "pooling",
        "deviates",
        "BioFoundation models/LUNA.py:96-128 (ClassificationHeadWithQueries)",
        "the authors' classifier attends over the tokens with a query (learned_agg) "
        "trained during fine-tuning, absent from the pretrained file: a frozen probe "
        "cannot reproduce it, so the default is 'mean'",
    ),
    FidelityCheck(
        "architecture",
        "fixed",
        "BioFoundation models/LUNA.py:138, 222-224",
        "two LayerNorms (timm Mlp norm_layer) braindecode leaves out, added back",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("luna"),
        "LUNA_base.safetensors keys load strictly after the two norms are added",
    ),
    FidelityCheck(
        "hub repository",
        "fixed",
        "BioFoundation README.md:91-124; braindecode luna.py:51-69; third-party code "
        "(NeuroSkill model config: 'thorir/LUNA -> PulpBio/LUNA (repo moved)'; a parity "
        "script strict-loading hf_hub_download('thorir/LUNA', 'LUNA_base.safetensors'))",
        "the repository was renamed thorir/LUNA -> PulpBio/LUNA; users load "
        "LUNA_base.safetensors from its root, the authors' README a Base/ folder. "
        "Resolution tries PulpBio/LUNA, then thorir/LUNA, each at the root then in "
        "Base/. No file listing of either could be read offline",
    ),
    FidelityCheck(
        "positions",
        "fixed",
        "BioFoundation models/modules/channel_embeddings.py:106-123; "
        "make_datasets/make_tueg_bipolar.py:180-198",
        "pretrained on TUEG's bipolar TCP derivations placed at the midpoint of their two "
        "template (standard_1005) electrodes, and on Siena's monopolar channels; a "
        "derivation 'A-B' is now placed at that midpoint (MNE's set_bipolar_reference "
        "gives the anode's position)",
    ),
    FidelityCheck(
        "units",
        "fixed",
        "BioFoundation tasks/pretrain_task_LUNA.py:30-39, 114-115",
        "per-channel z-score with the unbiased std and eps 1e-8 (was n-divided, 1e-6); "
        "the TUEG files hold microvolts (make_tueg_bipolar.py:332), which the z-score "
        "cancels",
    ),
    FidelityCheck(
        "rate and patches",
        "verified",
        "BioFoundation make_datasets/make_tueg_bipolar.py:202-203, 326-331; "
        "config/model/LUNA_base.yaml; config/experiment/LUNA_pretrain.yaml",
        "256 Hz, 40-sample patches, 5 s windows; pretraining band-passed 0.1-75 Hz with a "
        "60 Hz notch, which the contract leaves to the user (epochs.filter)",
    ),
    FidelityCheck(
        "channel-location tokens",
        "verified",
        "BioFoundation models/LUNA.py:274-284; braindecode luna.py:289-311",
        "per-axis min-max scaled positions (frame and units cancel); braindecode's "
        "repeat_interleave equals the authors' repeat when all epochs of a batch share "
        "positions, as in pretraining and in every contract batch",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (LUNA_base.safetensors)",
        "pulp-bio/BioFoundation models/LUNA.py:205; braindecode luna.py:153-161 renames",
        drop=("decoder_head.*", "channel_emb.*"),
    ),
)


CONTRACT = FMContract(
    name="luna",
    model_cls="LUNA",
    sfreq=256.0,
    patch_len=40,
    channels="positions",
    units="per-channel z-score",
    scale=luna_zscore,  # BioFoundation tasks/pretrain_task_LUNA.py:30-39
    build_kwargs=_build_luna,
    features=_features_luna,
    network=luna_with_norms,  # + the authors' two LayerNorms
    resolve_positions=luna_positions,  # derivations at their midpoint
    embed_dim=256,
    poolings=("mean", "flatten"),
    # braindecode (luna.py:51-69) and later users load LUNA_base.safetensors from the
    # root of PulpBio/LUNA, the repository's current name; the authors' README
    # (BioFoundation README.md:91-124) names thorir/LUNA, its former name, and a
    # Base/ folder. Both names and both paths are tried (see FIDELITY above).
    hub_repo="PulpBio/LUNA",
    hub_mirrors=("thorir/LUNA",),
    hub_files=("LUNA_base.safetensors", "Base/LUNA_base.safetensors"),
    head_keys=("final_layer.*", "decoder_head.*", "channel_emb.*"),
    licence="CC BY-ND 4.0",
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=(
        ("filter", {"l_freq": 0.1, "h_freq": 75.0}),
        ("notch_filter", {"freqs": 60.0}),
        ("resample", {"sfreq": 256.0}),
    ),
    recipe_source="BioFoundation make_datasets/process_raw_eeg.py:171-174",
    reference_fixture="luna",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("TUEG", "Siena"),
    reference="Doner et al., NeurIPS 2025",
    peft_targets=("qkv_proj", "attn.proj"),
)
