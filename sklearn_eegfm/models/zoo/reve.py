"""REVE (El Ouahidi et al., NeurIPS 2025): 4-D positional encoding from electrode positions."""

from __future__ import annotations

import json

import numpy as np

from ..._checkpoint_layouts import CheckpointLayout
from ...utils._imports import import_braindecode
from .._contract import FidelityCheck, FMContract, manifest_check
from .._contract_parts import (
    CBRAMOD_EEGMMIDB_RECIPE,
    Times,
    build_basic,
    token_grid,
)


def _features_reve(model, x, backbone):
    import torch

    pos = torch.as_tensor(backbone.positions, dtype=x.dtype, device=x.device)
    f, _ = token_grid(model(x, pos=pos[None].expand(x.shape[0], -1, -1), return_features=True))
    # The authors' probe pools the last layer's tokens with the pretrained query
    # cls_query_token (REVE codebase src/models/classifier.py:107-130, pooling "last");
    # braindecode's _attention_pooling computes the same softmax(q.x / sqrt(d)) x.
    cls = model._attention_pooling(f) if model.use_attention_pooling else None
    return f, cls


def _build_reve(backbone):
    # The attention-pooling query exists only when it is used, so that pooling="cls"
    # needs it in the checkpoint (see _reve_query_state) and other poolings do not.
    return {**build_basic(backbone), "attention_pooling": backbone.pooling == "cls"}


def _reve_query_state(state, own):
    """Keep REVE's pretrained attention-pooling query only where the model pools with it.

    The authors' files hold ``cls_query_token`` (the MAE's, src/models/mae.py:40, and
    brain-bzh/reve-base's, hf/reve-base/modeling_reve.py:327); their temporary
    repository's encoder-only ``reve_base_weights.pth`` keeps it in a separate file.
    """
    from ..._checkpoints import CheckpointError

    query = [k for k in state if k.split(".")[-1] == "cls_query_token"]
    if "cls_query_token" not in own:
        return {k: v for k, v in state.items() if k not in query}
    if not query:
        raise CheckpointError(
            "pooling='cls' pools with REVE's pretrained attention query cls_query_token, "
            "which this checkpoint lacks (an encoder-only file). Use the authors' full "
            "checkpoint (brain-bzh/reve-base, or their pretraining reve_base.pth), or "
            "pooling='mean'."
        )
    return state


def _similarity(src, dst):
    """Scale, rotation and shift mapping points ``src`` onto ``dst`` (least squares)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, s, vt = np.linalg.svd(b.T @ a)
    d = np.eye(3)
    d[2, 2] = np.sign(np.linalg.det(u @ vt))
    rot = u @ d @ vt
    scale = np.trace(np.diag(s) @ d) / (a**2).sum()
    return lambda p: scale * (np.asarray(p) - mu_s) @ rot.T + mu_d


REVE_BANK_FILES = ("positions.json", "reve_positions.json")


REVE_BANK_REPO = "brain-bzh/reve-positions"


def _template_bank_folder():
    """Return a folder holding a stand-in bank from MNE's template, for construction.

    Positions themselves are passed to every forward (from REVE's real bank, see
    :func:`reve_positions`), so the bank braindecode reads is only needed to construct
    the model. The stand-in lives in its own folder of the weights cache, so that it is
    never mistaken for the real bank.
    """
    import os

    from ..._signal import standard_montage
    from .._channels import standard_positions
    from .._weights import home_dir

    folder = home_dir() / "reve-template"
    bank = folder / "reve_positions.json"
    if not bank.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        names = standard_montage().ch_names
        content = dict(zip(names, standard_positions(names).tolist()))
        tmp = bank.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(content))
        os.replace(tmp, bank)
    return folder


def _bound(func, name, value):
    """Copy ``func`` with the global ``name`` bound to ``value`` (through ``@wraps`` layers).

    The copy shares the code object and closure; only its globals mapping is private,
    so the library's module and every other caller are untouched.
    """
    import types

    inner = getattr(func, "__wrapped__", None)
    if inner is not None and func.__closure__:
        cells = tuple(
            types.CellType(_bound(inner, name, value)) if cell.cell_contents is inner else cell
            for cell in func.__closure__
        )
        scope = func.__globals__
    else:
        cells, scope = func.__closure__, {**func.__globals__, name: value}
    copy = types.FunctionType(func.__code__, scope, func.__name__, func.__defaults__, cells)
    copy.__kwdefaults__ = func.__kwdefaults__
    return copy


def reve_with_bank(backbone, **kwargs):
    """Build braindecode's REVE with its electrode bank read from a folder we pass.

    braindecode's ``REVE.__init__`` builds ``RevePositionBank()`` without arguments
    (``reve.py:319``), which reads ``$REVE_POSITIONS_PATH`` or downloads (``:815``). Its
    constructor runs here with that one name bound to the bank class with ``cache_dir``
    given: the same code, a private globals mapping, so that nothing in the process (no
    environment variable, no library attribute) changes and concurrent builds cannot
    see each other's folder.

    Parameters
    ----------
    backbone : Backbone
        The fitted plan (unused: the bank is only needed to construct the model).
    **kwargs
        braindecode ``REVE`` constructor arguments.

    Returns
    -------
    model : braindecode.models.REVE
        The network.
    """
    import functools

    reve = import_braindecode("models.reve")
    bank = functools.partial(reve.RevePositionBank, cache_dir=str(_template_bank_folder()))
    model = reve.REVE.__new__(reve.REVE)
    _bound(reve.REVE.__init__, "RevePositionBank", bank)(model, **kwargs)
    return model


def find_reve_bank(backbone):
    """Find REVE's position bank: next to the weights, or in the cache.

    braindecode downloads it from ``brain-bzh/reve-positions`` (``reve.py:809``), which
    we never do; it is looked for beside the weights, or under ``$SKLEARN_EEGFM_HOME`` in
    that repository's layout (hub cache or plain folder). Earlier versions wrote a
    template stand-in to ``$SKLEARN_EEGFM_HOME/reve/``: that folder is not trusted.
    """
    from .._weights import _hub_layout_file, find_side_file, home_dir

    home = home_dir()
    for name in REVE_BANK_FILES:
        hit = find_side_file(backbone.contract, backbone.weights, name)
        hit = hit or _hub_layout_file(home, REVE_BANK_REPO, name)
        if hit is None and (home / REVE_BANK_REPO / name).is_file():
            hit = home / REVE_BANK_REPO / name
        if hit is not None:
            return hit
    return None


def reve_positions(backbone, montage_positions):
    """Electrode coordinates as REVE's pretraining saw them: its bank, looked up by name.

    Names the bank lacks get their montage position converted into the bank's frame (a
    similarity transform fitted on the template positions of the names both share), and
    the report says which. Without the bank file, MNE's standard_1005 template in its own
    frame stands in: the published bank holds exactly those coordinates for every name of
    the template; names outside it then come from the montage, as above.

    Parameters
    ----------
    backbone : Backbone
        Gives the model channels, the weights and the report.
    montage_positions : ndarray, shape (n_channels, 3)
        From the Epochs' montage, completed from MNE's template; NaN where unknown.

    Returns
    -------
    positions : ndarray, shape (n_channels, 3)
        In the bank's frame.
    """
    from .._channels import standard_positions, vocabulary_lookup

    names = list(backbone.model_ch_names)
    found = find_reve_bank(backbone)
    if found is None:
        # The published bank (brain-bzh/reve-positions positions.json) holds MNE's
        # standard_1005 template in the montage file's own frame for every template name
        # it has (166 of its 543 names, equal to 4e-9 m; REVE codebase
        # hf/reve-positions/positions.json): without the file, that template stands in.
        from ..._signal import standard_montage

        bank = {
            k: np.asarray(v, dtype=float)
            for k, v in standard_montage().get_positions()["ch_pos"].items()
        }
        bank_name = "stand-in: MNE's standard_1005 template"
    else:
        bank = {k: np.asarray(v, dtype=float) for k, v in json.loads(found.read_text()).items()}
        bank_name = found.name
    lookup = vocabulary_lookup(list(bank))
    hits = [lookup(n) for n in names]
    out = np.array([bank[h] if h is not None else [np.nan] * 3 for h in hits])
    # A derivation "FP1-F7" sits at the mean of its two electrodes' bank positions
    # (REVE src/downstream_tasks/position_utils.py:36-66).
    for i, name in enumerate(names):
        parts = [lookup(p) for p in name.split("-")] if hits[i] is None else []
        if len(parts) == 2 and None not in parts:
            out[i] = (bank[parts[0]] + bank[parts[1]]) / 2
            hits[i] = name
    lacking = [i for i, h in enumerate(hits) if h is None]
    if lacking:
        nowhere = [names[i] for i in lacking if not np.isfinite(montage_positions[i]).all()]
        if nowhere:
            raise ValueError(
                f"REVE knows no position for {nowhere}: they are neither in its position bank "
                f"({bank_name}) nor in the montage. Set a montage with their positions "
                "(epochs.set_montage(...)), rename them to 10-05 names, or drop them "
                "(epochs.drop_channels(...))."
            )
        shared = list(bank)
        template = standard_positions(shared)  # head frame, like montage positions
        ok = np.isfinite(template).all(axis=1)
        if ok.sum() < 4:
            raise ValueError(
                f"REVE's bank {bank_name} shares fewer than 4 names with MNE's template "
                f"montage, so the montage positions of {[names[i] for i in lacking]} cannot "
                "be converted into its frame; rename those channels to names in the bank."
            )
        to_bank = _similarity(template[ok], np.array([bank[k] for k, o in zip(shared, ok) if o]))
        out[lacking] = to_bank(montage_positions[lacking])
        backbone.report.append(
            f"positions: {len(names) - len(lacking)} from REVE's bank {bank_name}; "
            f"{[names[i] for i in lacking]} from the montage, converted into the bank's frame"
        )
    else:
        backbone.report.append(f"positions: all {len(names)} from REVE's bank {bank_name}")
    return out


# The authors' REVE repository (BRAIN, MIT), read in a copy inside another project.
_REVE = "REVE codebase (read in gexinggexing/ML_common_project_topic reve_eeg/) "

FIDELITY = (
    FidelityCheck(
        "reference fixture",
        "verified",
        "tests/models/reference/reve.npz (reve.md)",
        "the authors' REVE encoder (codebase copy) with their bank's positions and the MAE's "
        "cls_query_token: network and read-out on the authors' prepared input: equal within 1e-5 "
        "relative; whole path through apply_recipe equal within 1e-5",
    ),
    FidelityCheck(
        "units",
        "fixed",
        "REVE src/downstream_tasks/dataloaders.py:22, 56; src/configs/task/physio.yaml, "
        "bciciv2a.yaml (scale_factor 100)",
        "microvolts / 100, no z-score (per-epoch z-scoring, clipped at 15, erased amplitude "
        "differences between epochs: 44 % feature difference); other tasks use 1000 (FACED) or 10"
        " (HMC): scale the epochs before",
    ),
    FidelityCheck(
        "bipolar positions",
        "fixed",
        "REVE src/downstream_tasks/position_utils.py:36-66",
        "a derivation 'FP1-F7' sits at the mean of its electrodes' bank positions (was the "
        "anode's montage position)",
    ),
    FidelityCheck(
        "read-out 'no'",
        "deviates",
        "REVE src/models/classifier.py:104-111; src/configs/task/physio.yaml (pooling: no)",
        "5 of the 12 task configs concatenate the query's context with all tokens; the default "
        "'cls' is their 'last' (classifier.py:62); pooling='flatten' gives the tokens, the "
        "fixture holds the concatenation (path_no_flat_*)",
    ),
    FidelityCheck(
        "positions",
        "fixed",
        _REVE + "src/downstream_tasks/position_utils.py:32-48; hf/reve-positions/positions.json",
        "coordinates looked up by name in REVE's bank (braindecode reve.py:361-375, 809 "
        "reads the same file); the bank holds MNE's standard_1005 template in the montage "
        "file's own frame (not the head frame Epochs carry) for its 166 template names "
        "(largest difference 4e-9 m), which stands in when the file is absent; names it "
        "lacks: montage positions carried into its frame by a similarity fit",
    ),
    FidelityCheck(
        "rate and patches",
        "verified",
        _REVE + "src/dt.py:48; src/configs/encoder/base.yaml:9-12; src/models/encoder.py:39",
        "200 Hz; 200-sample patches overlapping by 20 (stride 180); 4 Fourier frequencies",
    ),
    FidelityCheck(
        "architecture",
        "verified",
        _REVE + "src/configs/encoder/base.yaml:1-7; hf/reve-base/config.json",
        "22 layers, 512 wide, 8 heads of 64, GEGLU ratio 2.66: braindecode's REVE defaults",
    ),
    FidelityCheck(
        "pretraining normalisation",
        "deviates",
        _REVE + "src/utils/data_loading.py:696-717; src/configs/preprocessing/default.yaml:2",
        "pretraining z-scored each session (clipped at 15); a transform knows no sessions, so "
        "the contract follows the authors' downstream scaling (units, above)",
    ),
    FidelityCheck(
        "pooling",
        "fixed",
        _REVE + "src/models/classifier.py:62, 107-130; src/dt.py:249-255",
        "default 'cls': attention pooling of the last layer's tokens with the pretrained "
        "query cls_query_token (the classifier's default 'last'); some task configs "
        "concatenate that token with all tokens ('no'), closest to 'flatten'",
    ),
    FidelityCheck(
        "weights layout",
        "verified",
        manifest_check("reve"),
        "pretraining reve_base.pth ({'model': MAE state}, encoder.* kept) and "
        "brain-bzh/reve-base (braindecode's keys + cls_query_token) load strictly",
    ),
)


CHECKPOINT_LAYOUTS = (
    CheckpointLayout(
        "authors' (REVE reve_base.pth pretraining checkpoint, or brain-bzh/reve-base)",
        "REVE codebase src/models/mae.py:14-46; src/utils/model_utils.py:55-72",
        drop=("*decoder.*", "*mask_token", "*to_pixels.*", "*enc_to_dec.*"),
        rename=((r"^module\.", ""), (r"^encoder\.", "")),
    ),
)


CONTRACT = FMContract(
    name="reve",
    model_cls="REVE",
    sfreq=200.0,
    patch_len=200,
    patch_step=180,
    channels="positions",
    # The authors' downstream tasks divide microvolts by a per-task factor and do not
    # z-score (src/downstream_tasks/dataloaders.py:22, 56; scale_factor 100 for
    # PhysioNet-MI and BCIC-IV-2a, src/configs/task/physio.yaml, bciciv2a.yaml).
    units="microvolts / 100",
    scale=Times(0.01),
    build_kwargs=_build_reve,
    features=_features_reve,
    network=reve_with_bank,  # the electrode bank passed as an argument
    resolve_positions=reve_positions,  # the bank's coordinates, by name
    # The authors resampled the whole recording (recipe): per epoch, on its exact grid.
    resampling="fft-grid",
    recipe=CBRAMOD_EEGMMIDB_RECIPE,
    recipe_source="REVE src/configs/task/physio.yaml reads CBraMod's PhysioNet-MI preparation "
    "(CBraMod preprocessing/preprocessing_physio.py:43-50)",
    reference_fixture="reve",
    fidelity=FIDELITY,
    checkpoint_layouts=CHECKPOINT_LAYOUTS,
    embed_dim=512,
    # The authors' classifier defaults to pooling "last", their pretrained query's
    # attention pooling (src/models/classifier.py:62, 122-130).
    pooling="cls",
    poolings=("cls", "mean", "flatten", "channel"),
    adapt_state=_reve_query_state,
    hub_repo="brain-bzh/reve-base",
    head_keys=("final_layer.*",),
    licence="REVE model licence (gated on the hub; no redistribution of the weights, "
    "hf/reve-base/README.md:32-33)",
    pretraining=("60,000+ hours from 92 public datasets incl. TUEG",),
    reference="El Ouahidi et al., NeurIPS 2025",
    peft_targets=("to_qkv", "to_out"),
)
