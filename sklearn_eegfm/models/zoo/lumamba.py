"""LuMamba (Broustail et al., 2025): LUNA's channel unification, then bidirectional Mamba.

The network is the package's LUNA front-end (``_luna_parts.luna_with_norms``, as for the "luna"
contract) followed by plain-PyTorch Mamba blocks (``_lumamba_net.py``).
"""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import chs_info
from .._luna_parts import luna_positions, luna_zscore


def lumamba_network(backbone=None, **kwargs):
    """Build :class:`.._lumamba_net.LuMamba` from braindecode-style LUNA arguments."""
    from .._lumamba_net import LuMamba

    return LuMamba(**kwargs)


def _build_lumamba(backbone):
    return {"chs_info": chs_info(backbone), "n_times": backbone.n_times, "n_outputs": 2}


def _features_lumamba(model, x, backbone):
    # (B, patches, queries * embed): the last Mamba block's output (no final norm)
    return model(x)[:, None], None


# The four published encoders (PulpBio/LuMamba model card; 16.8 MB each, CC BY-ND 4.0).
LUMAMBA_FILES = (
    "LuMamba_LeJEPA_reconstruction_300slices.safetensors",
    "LuMamba_LeJEPA_reconstruction_128slices.safetensors",
    "LuMamba_ReconstructionOnly.safetensors",
    "LuMamba_LeJEPAOnly_128slices.safetensors",
)


FIDELITY = (
    FidelityCheck(
        "architecture",
        "verified",
        "pulp-bio/BioFoundation models/LuMamba.py (commit 690bd65, read through the code "
        "index; not in the fetched snapshot 1923999); tests/models/reference/lumamba.md",
        "LUNA's front-end (patch, frequency and location embeddings, cross-attention to 6 "
        "queries of 64) then 2 pre-norm bidirectional Mamba blocks (x + mamba(norm(x))), "
        "no final norm: the package's LUNA front-end + Mamba blocks equal the authors' "
        "LuMamba.encode to <= 1e-5 on real EEGMMIDB windows, seeded weights",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("lumamba"),
        "keys and shapes of the authors' class (LUNA's, with braindecode's renames, minus "
        "blocks and norm, plus mamba_blocks and norm_layers; 4.19M parameters, 4.09M "
        "without the pretraining decoder_head and channel_emb) load strictly. Sizes "
        "(6 queries, expand 2, 2 blocks) come from a third-party port that loads "
        "LuMamba_LeJEPA_reconstruction_300slices.safetensors (with strict=False); the "
        "released files' headers could not be read offline",
    ),
    FidelityCheck(
        "units",
        "unverified",
        "LuMamba's pretraining task is not in any readable snapshot",
        "LUNA's per-channel z-score (tasks/pretrain_task_LUNA.py:30-39) is applied; the "
        "third-party port uses a per-channel median / interquartile range instead",
    ),
    FidelityCheck(
        "rate and patches",
        "verified",
        "PulpBio/LuMamba model card; models/LuMamba.py defaults (patch_size=40)",
        "256 Hz, 40-sample patches; LUNA's bipolar TUEG pretraining montage and positions "
        "(derivations at their midpoint) as for 'luna'",
    ),
    FidelityCheck(
        "read-out",
        "verified",
        "models/LuMamba.py encode (B, S, Q * E); the third-party port averages over S",
        "the encoder output averaged over patches (pooling='mean'), 384 features",
    ),
    FidelityCheck(
        "hub files",
        "unverified",
        "PulpBio/LuMamba model card (read in public mirrors of its README)",
        "four encoders, CC BY-ND 4.0; no file listing could be read offline",
    ),
)


# LuMamba's published encoders (pretraining models): LUNA's front-end keys (braindecode's
# renames apply, luna.py:153-161) + FEMBA's mamba_blocks / norm_layers.
CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (LuMamba_*.safetensors)",
        "pulp-bio/BioFoundation models/LuMamba.py (690bd65); tests/models/manifests/lumamba.json",
        drop=("decoder_head.*", "channel_emb.*"),
    ),
)


CONTRACT = FMContract(
    name="lumamba",
    model_cls="LuMamba",
    network=lumamba_network,  # braindecode's LUNA front-end + Mamba blocks
    sfreq=256.0,
    patch_len=40,
    channels="positions",
    units="per-channel z-score (LUNA's; LuMamba's own is unverified)",
    scale=luna_zscore,
    build_kwargs=_build_lumamba,
    features=_features_lumamba,
    resolve_positions=luna_positions,
    embed_dim=384,
    poolings=("mean", "flatten"),
    hub_repo="PulpBio/LuMamba",
    hub_files=LUMAMBA_FILES,
    head_keys=("decoder_head.*", "channel_emb.*", "classifier.*", "final_layer.*"),
    licence="CC BY-ND 4.0",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("TUEG",),
    reference="Broustail et al., 2025 (LuMamba)",
    # The Mamba layers' projections; LUNA's attention out_proj (same suffix) is applied
    # by nn.MultiheadAttention without its forward.
    peft_targets=r".*mamba_blocks\.\d+\.mamba_(fwd|rev)\.(in_proj|x_proj|out_proj)",
    reference_fixture="lumamba",
)
