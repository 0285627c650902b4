"""Where braindecode's port differs from the authors' pretraining code, our side of it.

Each fix cites the authors' file and line it follows. The authors' pretraining code is
the reference (PITFALLS 19); braindecode's class is reused and only patched where the
published weights would otherwise compute another network or read another output.
"""

from __future__ import annotations

import json

import numpy as np

from ..utils._imports import import_braindecode

# ----------------------------------------------------------------------------- LUNA


def _normed_mlp_class():
    import torch

    class NormedMlp(torch.nn.Module):
        """timm's ``Mlp(norm_layer=nn.LayerNorm)``: fc1, act, drop, norm, fc2, drop.

        Reuses the braindecode ``_Mlp``'s layers (same keys, same random init) and adds
        the LayerNorm over the hidden features that braindecode leaves out.
        """

        def __init__(self, mlp):
            super().__init__()
            self.fc1, self.act, self.drop, self.fc2 = mlp.fc1, mlp.act, mlp.drop, mlp.fc2
            self.norm = torch.nn.LayerNorm(mlp.fc1.out_features)

        def forward(self, x):
            x = self.norm(self.drop(self.act(self.fc1(x))))
            return self.drop(self.fc2(x))

    return NormedMlp


def luna_with_norms(**kwargs):
    """Return braindecode's LUNA with the authors' two LayerNorms.

    The authors build ``channel_location_embedder`` and ``cross_attn.ffn`` as timm
    ``Mlp(..., norm_layer=nn.LayerNorm)`` (BioFoundation ``models/LUNA.py:222-224`` and
    ``:138``); braindecode 1.8.1 drops both norms (``luna.py:184-191``, ``:772-778``) while
    its own rename table lists ``channel_location_embedder.0.norm`` (``luna.py:158``), so
    the published file holds them and a strict load would otherwise fail.

    Parameters
    ----------
    **kwargs
        braindecode ``LUNA`` constructor arguments.

    Returns
    -------
    model : braindecode.models.LUNA
        With ``channel_location_embedder.norm`` and ``cross_attn.ffn.norm``.
    """
    model = import_braindecode("models").LUNA(**kwargs)
    normed = _normed_mlp_class()
    model.channel_location_embedder = normed(model.channel_location_embedder)
    model.cross_attn.ffn = normed(model.cross_attn.ffn)
    return model


def luna_zscore(x):
    """Per-channel z-score as LUNA's tasks compute it (unbiased std, eps 1e-8).

    BioFoundation ``tasks/pretrain_task_LUNA.py:30-39`` (``ChannelWiseNormalize``: torch's
    ``std``, which divides by n - 1), applied to every batch at ``:114-115``.

    Parameters
    ----------
    x : ndarray, shape (n, c, t)
        Microvolts (the scale cancels).

    Returns
    -------
    x : ndarray, shape (n, c, t)
        float32.
    """
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True, ddof=1)
    return ((x - mean) / (std + 1e-8)).astype(np.float32)


def _bipolar_parts(name):
    """``(anode, cathode)`` template names of an ``"A-B"`` derivation, else None."""
    from ._channels import normalize_name, standard_positions

    if np.isfinite(standard_positions([name])).all():  # "EEG FP1-REF" is monopolar
        return None
    parts = normalize_name(name).split("-")
    if len(parts) != 2 or not np.isfinite(standard_positions(parts)).all():
        return None
    return parts


def luna_positions(backbone, montage_positions):
    """Positions as LUNA's pretraining computed them: a derivation sits at its midpoint.

    LUNA was pretrained on TUEG in the bipolar TCP montage (BioFoundation
    ``make_datasets/make_tueg_bipolar.py:180-198``); each derivation ``"A-B"`` got the
    mean of the two electrodes' template positions (``models/modules/
    channel_embeddings.py:106-123``, ``standard_1005`` in the head frame). MNE's
    ``set_bipolar_reference`` gives a derivation its anode's position instead, so
    derivation names are placed here, from the template; monopolar channels keep their
    montage positions (the template's for standard names, as in pretraining).

    Parameters
    ----------
    backbone : Backbone
        Gives the model channels and the report.
    montage_positions : ndarray, shape (n_channels, 3)
        From the Epochs' montage, completed from the template; NaN where unknown.

    Returns
    -------
    positions : ndarray, shape (n_channels, 3)
        Head frame, metres.
    """
    from ._channels import standard_positions

    out = np.array(montage_positions, dtype=float, copy=True)
    placed = []
    for i, name in enumerate(backbone.model_ch_names):
        parts = _bipolar_parts(name)
        if parts is not None:
            out[i] = standard_positions(parts).mean(axis=0)
            placed.append(name)
    if placed:
        more = " ..." if len(placed) > 4 else ""
        backbone.report.append(
            f"positions: {len(placed)} bipolar derivations at the midpoint of their two "
            f"electrodes, as in LUNA's pretraining ({placed[:4]}{more})"
        )
    return out


# ----------------------------------------------------------------------------- BENDR


def bendr_unnormed_context(**kwargs):
    """Return braindecode's BENDR without the final LayerNorm the authors never apply.

    The authors' contextualizer defines ``self.norm`` (BENDR ``dn3_ext.py:505``) but its
    forward goes from the transformer layers straight to ``output_layer``
    (``dn3_ext.py:576-581``); braindecode 1.8.1 applies it (``bendr.py:586``). The norm's
    parameters stay in the state dict (the published files hold them) and are unused.

    Parameters
    ----------
    **kwargs
        braindecode ``BENDR`` constructor arguments.

    Returns
    -------
    model : braindecode.models.BENDR
        Computing the authors' network.
    """
    import torch

    class UnusedNorm(torch.nn.LayerNorm):
        def forward(self, x):
            return x

    model = import_braindecode("models").BENDR(**kwargs)
    old = model.contextualizer.norm
    new = UnusedNorm(old.normalized_shape, eps=old.eps)
    new.load_state_dict(old.state_dict())
    model.contextualizer.norm = new
    return model


# TUEG's data range in dn3's pretraining configuration (BENDR ``configs/pretraining.yml``,
# ``data_max: 3276.7``, ``data_min: -1583.93``: microvolts, 16-bit at 0.1 uV).
BENDR_MAX_SCALE = 3276.7 - (-1583.9258304722666)
# dn3's Deep1010 EEG block (dn3 ``transforms/channels.py:17-45``, ``EEG_INDS`` at :49):
# min-max scaling spans every EEG channel of the recording that maps into it.
DEEP1010_EEG = (
    "NZ FP1 FPZ FP2 AF7 AF3 AFZ AF4 AF8 F9 F7 F5 F3 F1 FZ F2 F4 F6 F8 F10 FT9 FT7 FC5 FC3 "
    "FC1 FCZ FC2 FC4 FC6 FT8 FT10 T9 T7 T3 C5 C3 C1 CZ C2 C4 C6 T4 T8 T10 TP9 TP7 CP5 CP3 "
    "CP1 CPZ CP2 CP4 CP6 TP8 TP10 P9 P7 T5 P5 P3 P1 PZ P2 P4 P6 T6 P8 P10 PO7 PO3 POZ PO4 "
    "PO8 O1 OZ O2 IZ"
).split()


def bendr_span(x_uv, backbone):
    """Trial statistics dn3 takes on the user's channels, before they are reduced to 19.

    dn3's ``MappingDeep1010.__call__`` (``transforms/instance.py:354-368``) computes the
    SCALE channel from the whole trial's range relative to the dataset range, then
    min-max scales the Deep1010 EEG block jointly (``utils.py:67-70``), a block whose
    absent channels are zero rows (``instance.py:359``).

    Parameters
    ----------
    x_uv : ndarray, shape (n_epochs, n_user_channels, n_times)
        The user's epochs, microvolts.
    backbone : Backbone
        Gives the user's channel names.

    Returns
    -------
    span : dict
        ``lo``, ``hi`` (min-max span, shape (n, 1, 1)) and ``scale`` (SCALE value, (n,)).
    """
    from ._channels import normalize_name

    names = backbone.ch_names_in
    eeg = [i for i, n in enumerate(names) if normalize_name(n, aliases=False) in DEEP1010_EEG]
    used = x_uv[:, eeg] if eeg else x_uv
    lo = np.minimum(used.min(axis=(1, 2), keepdims=True), 0.0)  # absent rows are 0
    hi = np.maximum(used.max(axis=(1, 2), keepdims=True), 0.0)
    trial_range = x_uv.max(axis=(1, 2)) - x_uv.min(axis=(1, 2))
    scale = 2 * (np.minimum(trial_range / BENDR_MAX_SCALE, 1.0) - 0.5)
    return {"lo": lo, "hi": hi, "scale": scale}


def bendr_scale(x, lo=None, hi=None, scale=None):
    """Min-max to [-1, 1] over dn3's span, plus the SCALE channel dn3 computes.

    Parameters
    ----------
    x : ndarray, shape (n, 19, t)
        The 19 model channels, microvolts.
    lo, hi, scale : ndarray | None
        From :func:`bendr_span`; the 19 channels' own span and SCALE -0.9 when None.

    Returns
    -------
    x : ndarray, shape (n, 20, t)
        float32.
    """
    if lo is None:
        lo = np.minimum(x.min(axis=(1, 2), keepdims=True), 0.0)
        hi = np.maximum(x.max(axis=(1, 2), keepdims=True), 0.0)
        trial_range = x.max(axis=(1, 2)) - x.min(axis=(1, 2))
        scale = 2 * (np.minimum(trial_range / BENDR_MAX_SCALE, 1.0) - 0.5)
    scaled = 2 * (x - lo) / np.maximum(hi - lo, 1e-6) - 1
    scale_ch = np.broadcast_to(np.asarray(scale, np.float32)[:, None, None], x[:, :1].shape)
    return np.concatenate([scaled, scale_ch], axis=1).astype(np.float32)


# ----------------------------------------------------------------------------- features


def _hooked(module, model, call, *, inputs=False):
    """Run ``call()`` and return what ``module`` received (``inputs``) or returned."""
    seen = {}

    def keep(mod, inp, out):
        seen.setdefault("v", inp[0] if inputs else out)

    hook = module.register_forward_hook(keep)
    try:
        result = call()
    finally:
        hook.remove()
    return seen["v"], result


def features_cbramod(model, x, backbone):
    """CBraMod's encoder output, without the reconstruction head ``proj_out``.

    The authors set ``backbone.proj_out = nn.Identity()`` before pooling
    (CBraMod ``models/model_for_bciciv2a.py:18``); braindecode's ``return_features``
    returns ``proj_out(encoder)`` (``cbramod.py:250``).
    """
    z, _ = _hooked(model.encoder, model, lambda: model(x, return_features=True))
    return z, None


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
    z, out = _hooked(
        model.norm,
        model,
        lambda: model(x, return_features=True, ch_names=list(backbone.model_ch_names)),
        inputs=True,
    )
    f = z[:, 1:]
    b, n, d = f.shape
    c = x.shape[1]
    return f.reshape(b, c, n // c, d), out["cls_token"]


def pooled_layer_norm(v):
    """Normalise the last axis like a fresh LayerNorm (unit scale, zero shift, eps 1e-6).

    LaBraM's ``fc_norm`` at the start of fine-tuning (``modeling_finetune.py:300``,
    ``norm_layer=partial(nn.LayerNorm, eps=1e-6)`` at ``:470``); a linear head on top
    absorbs the scale and shift it would learn.
    """
    import torch

    return torch.nn.functional.layer_norm(v, v.shape[-1:], eps=1e-6)


def features_bendr(model, x, backbone):
    """BENDR's contextualizer at the last position, where the authors' classifier reads.

    BENDR ``dn3_ext.py:94`` (``BENDRClassification.features_forward``): ``context[:, :,
    -1]``; braindecode reads the start token, index 0 (``bendr.py:385``).
    """
    z, _ = _hooked(model.contextualizer, model, lambda: model(x))
    return z[:, :, -1][:, None, None, :], None


def features_steegformer(model, x, backbone):
    """ST-EEGFormer's tokens before the final norm, CLS dropped (time-major grid).

    The authors' probe averages un-normalised tokens without CLS (STEEGFormer
    ``benchmark/neural_networks/models/models_vit_eeg.py:146-148``, ``fc_norm``
    commented out); braindecode's ``return_features`` normalises them
    (``steegformer.py:522``). The CLS token keeps its norm, as in the ``cls`` read-out.
    """
    z, out = _hooked(model.norm, model, lambda: model(x, return_features=True), inputs=True)
    f = z[:, 1:]
    b, n, d = f.shape
    c = x.shape[1]
    return f.reshape(b, n // c, c, d).transpose(1, 2), out["cls_token"]


# ----------------------------------------------------------------------------- REVE


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


def find_reve_bank(backbone):
    """Find REVE's position bank: next to the weights, or in the cache.

    braindecode downloads it from ``brain-bzh/reve-positions`` (``reve.py:809``), which
    we never do; it is looked for beside the weights, or under ``$SKLEARN_EEGFM_HOME`` in
    that repository's layout (hub cache or plain folder). Earlier versions wrote a
    template stand-in to ``$SKLEARN_EEGFM_HOME/reve/``: that folder is not trusted.
    """
    from ._weights import _hub_layout_file, find_side_file, home_dir

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
    from ._channels import standard_positions, vocabulary_lookup

    names = list(backbone.model_ch_names)
    found = find_reve_bank(backbone)
    if found is None:
        # The published bank (brain-bzh/reve-positions positions.json) holds MNE's
        # standard_1005 template in the montage file's own frame for every template name
        # it has (166 of its 543 names, equal to 4e-9 m; REVE codebase
        # hf/reve-positions/positions.json): without the file, that template stands in.
        from .._signal import standard_montage

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
