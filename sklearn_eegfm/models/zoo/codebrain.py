"""CodeBrain (Ma et al., 2025): structured state-space blocks over 1-s patches."""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    CBRAMOD_EEGMMIDB_RECIPE,
    Times,
    build_basic,
    features_grid,
)

FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/codebrain.npz (codebrain.md)",
        "the authors' SSSM/GConv (transcribed from zicren/AdaBrain-Bench's copy): network and "
        "read-out on the authors' prepared input: equal within 1e-5 relative; the input stands in"
        " (CBraMod's EEGMMIDB recipe): rate, units and channels stay unverified",
    ),
    FidelityCheck(
        "authors' repository",
        "unverified",
        "jingyingma01/CodeBrain: no snapshot here (fetch, sessions i20 and j20)",
        "the model files were read in zicren/AdaBrain-Bench@0693692 models/SSSM.py, @41a87a4 "
        "models/SGConv.py; the authors' SSSM.py at their commit 22d350c, vendored in "
        "h3ro-dev/eegt@4a7a018 eegt/vendor/codebrain/SSSM.py (its NOTICE: only an import and "
        "the attention mask's device changed), reads line for line as that copy but for the "
        "mask's device and dtype and two unused classes (compared by reading, not run); "
        "SGConv.py and the preprocessing scripts were not found at the authors' commit",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("codebrain"),
        "CodeBrain.pth (module.*, S41, sn, D, KernelModule, weight_g/weight_v) mapped "
        "onto braindecode's keys",
    ),
    FidelityCheck(
        "architecture",
        "verified",
        "CodeBrain models/SSSM.py Residual_block, models/SGConv.py GConv (the copy in "
        "zicren/AdaBrain-Bench)",
        "same blocks as braindecode; the authors pass layer_norm= to GConv, whose "
        "keyword is ln=, so no LayerNorm runs (braindecode's s4_layernorm=False); their "
        "forward, run outside the repository on one random checkpoint, matches ours "
        "within 2e-6",
    ),
    FidelityCheck(
        "read-out",
        "verified",
        "CodeBrain models/SSSM.py SSSM.forward (if_codebook=False)",
        "features are norm(final_conv(...)) per channel and patch, braindecode's return_features",
    ),
    FidelityCheck(
        "patches",
        "verified",
        "CodeBrain models/SSSM.py PatchEmbedding",
        "200-sample patches, 101 FFT bins",
    ),
    FidelityCheck(
        "rate, units, channels",
        "unverified",
        "jingyingma01/CodeBrain has no snapshot here; only its model files were read "
        "(AdaBrain-Bench, and SSSM.py vendored in h3ro-dev/eegt)",
        "pretraining preprocessing not found; AdaBrain-Bench run_finetuning.py feeds 200 "
        "Hz and offers microvolts x 0.01 ('0.1mv'); a third-party adapter that ran the "
        "authors' code (h3ro-dev/eegt) also feeds 200 Hz in uV / 100, which corroborates but "
        "is not the authors' line; the contract keeps 200 Hz, uV / 100",
    ),
    FidelityCheck(
        "pooling",
        "unverified",
        "AdaBrain-Bench run_finetuning.py get_models; braindecode codebrain.py final_layer",
        "the authors' probe was not found; both of these flatten channels x patches x 200, "
        "which ties the feature size to the montage, so 'mean' stays the default",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (CodeBrain CodeBrain.pth, DataParallel keys)",
        "CodeBrain models/SSSM.py, models/SGConv.py; AdaBrain-Bench run_finetuning.py "
        "(Ada_CodeBrain strips 'module.'); braindecode codebrain.py:224-250",
        rename=(
            (r"^module\.", ""),
            (r"\.S41\.", ".sgconv."),
            (r"\.sn\.", ".rms_norm."),
            (r"\.D$", ".skip_weight"),
            (r"\.kernel_list\.(\d+)\.kernel$", r".kernel_list.\1"),  # KernelModule wrapper
            (r"\.weight_g$", ".parametrizations.weight.original0"),  # old weight_norm API
            (r"\.weight_v$", ".parametrizations.weight.original1"),
        ),
    ),
)


CONTRACT = FMContract(
    name="codebrain",
    model_cls="CodeBrain",
    sfreq=200.0,
    patch_len=200,
    channels="any",
    units="microvolts / 100",
    scale=Times(0.01),
    build_kwargs=build_basic,
    features=features_grid,
    embed_dim=200,
    hub_repo="braindecode/codebrain-pretrained",
    licence="see the model card",
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=CBRAMOD_EEGMMIDB_RECIPE,
    recipe_source="stand-in: CodeBrain's own preprocessing could not be read (jingyingma01/"
    "CodeBrain has no snapshot here); CBraMod's EEGMMIDB recipe (preprocessing_physio.py:43-50), "
    "at the contract's 200 Hz",
    reference_fixture="codebrain",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    pretraining=("TUEG",),
    reference="Ma et al., 2025",
    peft_targets=("output_linear",),
)
