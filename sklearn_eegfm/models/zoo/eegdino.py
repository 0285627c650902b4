"""EEG-DINO (Wang et al., 2025): DINO self-distillation on TUEG's 19 channels."""

from __future__ import annotations

from ..._checkpoint_layouts import CheckpointLayout
from .._contract import FidelityCheck, FMContract
from .._contract_parts import (
    CBRAMOD_EEGMMIDB_RECIPE,
    Times,
    build_with_sfreq,
    features_channel_major,
)

# TUEG's 19 channels in CBraMod's pretraining order (EEG-DINO's channel slots).
EEGDINO_ORDER = tuple("FP1 FP2 F3 F4 C3 C4 P3 P4 O1 O2 F7 F8 T3 T4 T5 T6 FZ CZ PZ".split())


FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "unverified",
        "tests/models/reference/eegdino.npz (eegdino.md)",
        "a stand-in: against braindecode's EEGDINO port, the class the package itself runs, "
        "not the authors' code (miraclefish/EEG-DINO has no snapshot here): checks the "
        "package's read-out, channel order and loading only, not the network",
    ),
    FidelityCheck(
        "licence",
        "unverified",
        "miraclefish/EEG-DINO not readable here",
        "no licence found for code or weights",
    ),
    FidelityCheck(
        "channel order",
        "fixed",
        "CBraMod preprocessing/preprocessing_tueg_for_pretraining.py:13-15, 51",
        "inputs reordered into TUEG's 19 channels in CBraMod's order (slot i = input i), "
        "as issue 10 states; EEG-DINO's own preprocessing could not be read",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        "braindecode hf_assets/model_cards/convert_eegdino_checkpoints.py:3-5, 36-49; "
        "eegdino-rs src/weights.rs",
        "model_EEG_DINO_S.pt's module.teacher.* encoder loads strictly; tested on a file "
        "built from braindecode's keys (no manifest: the authors' class was not read)",
    ),
    FidelityCheck(
        "teacher or student",
        "unverified",
        "eegdino-rs scripts/parity_test.py loads module.student.*",
        "the teacher is loaded, as in braindecode's hub copy; which one the authors "
        "fine-tune from was not read",
    ),
    FidelityCheck(
        "authors' code",
        "unverified",
        "github miraclefish/EEG-DINO (named by eegdino-rs README.md): no snapshot here; "
        "huggingface eegdino/EEG-DINO not reachable; fetch again in session j20: no snapshot",
        "searched for repositories eegdino / eeg-dino and the strings model_EEG_DINO_S, "
        "embedding_small, miraclefish: only ports (eegdino-rs, braindecode) and an unrelated "
        "re-implementation (davgauch/eeg-dino); braindecode's EEGDINO docs say the "
        "pretraining code was not released; channel order, units (uV / 100, as braindecode "
        "and eegdino-rs), preparation (the recipe is CBraMod's, a stand-in) and pooling are "
        "not checked against the authors",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (EEG-DINO model_EEG_DINO_S.pt, teacher encoder)",
        "braindecode hf_assets/model_cards/convert_eegdino_checkpoints.py:36-49; the "
        "authors' miraclefish/EEG-DINO was not readable",
        keep=(
            "module.teacher.patch_embedding.*",
            "module.teacher.encoder_layers.*",
            "module.teacher.global_tokens",
        ),
        drop=("*.relative_position_index",),
        rename=((r"^module\.teacher\.", ""),),
    ),
)


CONTRACT = FMContract(
    name="eegdino",
    model_cls="EEGDINO",
    sfreq=200.0,
    patch_len=200,
    # Input position i feeds learned channel slot i (braindecode eegdino.py:61-63), and
    # the slots were pretrained on TUEG's 19 channels in CBraMod's preprocessing order
    # (CBraMod preprocessing/preprocessing_tueg_for_pretraining.py:13-15, picked
    # ordered=True at :51): every input is reordered into it.
    channels="fixed",
    vocabulary_names=EEGDINO_ORDER,
    units="microvolts / 100",
    scale=Times(0.01),
    build_kwargs=build_with_sfreq,
    features=features_channel_major,
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=CBRAMOD_EEGMMIDB_RECIPE,
    recipe_source="stand-in: EEG-DINO's own preprocessing could not be read; CBraMod's EEGMMIDB "
    "recipe (preprocessing_physio.py:43-50), at the contract's 200 Hz",
    reference_fixture="eegdino",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    embed_dim=200,
    poolings=("mean", "cls", "flatten", "channel"),
    hub_repo="braindecode/eegdino-small-pretrained",
    licence="see the model card",
    pretraining=("TUEG",),
    reference="Wang et al., 2025 (EEG-DINO)",
    # qkv.weight is applied with F.linear, and other "proj" modules are Identity.
    peft_targets=("attn.proj", "mlp.fc1", "mlp.fc2"),
)
