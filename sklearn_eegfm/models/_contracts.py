"""One declarative input contract per foundation model.

A contract says what a braindecode model needs (rate, patch multiple, channels,
amplitude scale), how to build it for a given input, how to read tokens out of it, and
where its public weights live. Estimators never branch on model names: they read
:data:`CONTRACTS`.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import _femba, _fixes, _lumamba
from ._fidelity import FIDELITY, fidelity_summary

POOLINGS = ("mean", "cls", "flatten", "channel")
CHANNEL_KINDS = ("any", "positions", "subset", "fixed", "bipolar")

# The 19 electrodes of the 10-20 system: the montage "interpolate" completes for models
# that take any subset of a large vocabulary (their pretraining corpora are mostly 10-20).
TEN_TWENTY = (
    "Fp1",
    "Fp2",
    "F7",
    "F3",
    "Fz",
    "F4",
    "F8",
    "T7",
    "C3",
    "Cz",
    "C4",
    "T8",
    "P7",
    "P3",
    "Pz",
    "P4",
    "P8",
    "O1",
    "O2",
)


# TUEG's 19 channels in CBraMod's pretraining order (EEG-DINO's channel slots).
EEGDINO_ORDER = tuple("FP1 FP2 F3 F4 C3 C4 P3 P4 O1 O2 F7 F8 T3 T4 T5 T6 FZ CZ PZ".split())


# ----------------------------------------------------------------------------- scaling
@dataclass(frozen=True)
class _Times:
    factor: float

    def __call__(self, x):
        return x * np.float32(self.factor)


def _percentile95(x):
    # BIOT's preprocessing: each channel divided by its 95th percentile of |amplitude|.
    q = np.quantile(np.abs(x), 0.95, axis=-1, keepdims=True)
    return (x / (q + 1e-8)).astype(np.float32)


def _zscore(x):
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    return ((x - mean) / (std + 1e-6)).astype(np.float32)


def _zscore_clip15(x):
    # REVE's pretraining normalisation (its forward does not apply it).
    return np.clip(_zscore(x), -15, 15)


def _clip500_zscore(x):
    # ST-EEGFormer's pretraining: clip at +-500 uV, then z-score each channel.
    return _zscore(np.clip(x, -500, 500))


# ----------------------------------------------------------------------------- features
def _grid(out):
    """(B, C, P, D) token grid from a braindecode ``return_features`` dict."""
    return out["features"], out.get("cls_token")


def _features_grid(model, x, backbone):
    return _grid(model(x, return_features=True))


def _features_vector(model, x, backbone):
    f, _ = _grid(model(x, return_features=True))
    return f[:, None, None, :], None


def _features_channel_major(model, x, backbone):
    # (B, C * n_tokens, D) with channels outermost -> (B, C, n_tokens, D)
    f, cls = _grid(model(x, return_features=True))
    b, n, d = f.shape
    return f.reshape(b, x.shape[1], n // x.shape[1], d), cls


def _features_reve(model, x, backbone):
    import torch

    pos = torch.as_tensor(backbone.positions, dtype=x.dtype, device=x.device)
    f, _ = _grid(model(x, pos=pos[None].expand(x.shape[0], -1, -1), return_features=True))
    # The authors' probe pools the last layer's tokens with the pretrained query
    # cls_query_token (REVE codebase src/models/classifier.py:107-130, pooling "last");
    # braindecode's _attention_pooling computes the same softmax(q.x / sqrt(d)) x.
    cls = model._attention_pooling(f) if model.use_attention_pooling else None
    return f, cls


def _features_luna(model, x, backbone):
    # LUNA has no feature output: read the encoder's normalised latent (B, S, Q * D).
    seen = {}
    hook = model.norm.register_forward_hook(lambda mod, inp, out: seen.setdefault("z", out))
    try:
        model(x)
    finally:
        hook.remove()
    return seen["z"][:, None], None


def _features_sequence(model, x, backbone):
    # (B, P, D) patch sequence, no channel axis.
    f, cls = _grid(model(x, return_features=True))
    return f[:, None], cls


# ----------------------------------------------------------------------------- building
def _chs_info(backbone):
    pos = backbone.positions
    if pos is None:
        from ._channels import standard_positions

        pos = standard_positions(backbone.model_ch_names)
    return [
        {"ch_name": n, "kind": "eeg", "loc": np.r_[p, np.zeros(9)]}
        for n, p in zip(backbone.model_ch_names, pos)
    ]


def _build_basic(backbone):
    return {"n_chans": len(backbone.model_ch_names), "n_times": backbone.n_times, "n_outputs": 2}


def _build_with_sfreq(backbone):
    return {**_build_basic(backbone), "sfreq": backbone.contract.sfreq}


def _build_with_chs(backbone):
    return {
        "chs_info": _chs_info(backbone),
        "n_times": backbone.n_times,
        "n_outputs": 2,
        "sfreq": backbone.contract.sfreq,
    }


def _build_labram(backbone):
    # Built on the full vocabulary; the batch's channels are named at forward time.
    return {
        "n_chans": len(backbone.contract.vocabulary),
        "n_times": backbone.n_times,
        "n_outputs": 2,
    }


def _build_reve(backbone):
    # The attention-pooling query exists only when it is used, so that pooling="cls"
    # needs it in the checkpoint (see _reve_query_state) and other poolings do not.
    return {**_build_basic(backbone), "attention_pooling": backbone.pooling == "cls"}


def _reve_query_state(state, own):
    """Keep REVE's pretrained attention-pooling query only where the model pools with it.

    The authors' files hold ``cls_query_token`` (the MAE's, src/models/mae.py:40, and
    brain-bzh/reve-base's, hf/reve-base/modeling_reve.py:327); their temporary
    repository's encoder-only ``reve_base_weights.pth`` keeps it in a separate file.
    """
    from .._checkpoints import CheckpointError

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


def _build_luna(backbone):
    return {"chs_info": _chs_info(backbone), "n_times": backbone.n_times, "n_outputs": 2}


def _build_signaljepa(backbone):
    return {
        "chs_info": _chs_info(backbone),
        "n_times": backbone.n_times,
        "channel_embedding": "pretrain_aligned",
    }


def _build_bendr(backbone):
    # 19 electrodes + the SCALE channel that the scaling step appends.
    return {
        "n_chans": len(backbone.model_ch_names) + 1,
        "n_times": backbone.n_times,
        "n_outputs": 2,
    }


@contextlib.contextmanager
def _reve_positions_bank(backbone):
    """Let REVE build offline: it reads its electrode bank from $REVE_POSITIONS_PATH.

    Positions themselves are passed to every forward (from REVE's real bank, see
    ``_fixes.reve_positions``), so the bank braindecode reads is only needed to
    construct the model: a stand-in is written from MNE's template montage, in its own
    folder so that it is never mistaken for the real bank.
    """
    import json
    import os

    from ._channels import standard_positions
    from ._weights import home_dir

    folder = home_dir() / "reve-template"
    bank = folder / "reve_positions.json"
    if not bank.is_file():
        from .._signal import standard_montage

        folder.mkdir(parents=True, exist_ok=True)
        names = standard_montage().ch_names
        content = dict(zip(names, standard_positions(names).tolist()))
        tmp = bank.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(content))
        os.replace(tmp, bank)
    previous = os.environ.get("REVE_POSITIONS_PATH")
    os.environ["REVE_POSITIONS_PATH"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["REVE_POSITIONS_PATH"]
        else:
            os.environ["REVE_POSITIONS_PATH"] = previous


def _build_steegformer(backbone):
    return {**_build_basic(backbone), "chan_pos_idx": backbone.extra["chan_pos_idx"]}


def _plan_steegformer(backbone):
    """Resolve each channel's slot in ST-EEGFormer's 145-electrode vocabulary.

    The vocabulary ships with the weights (``steegformer_channels.json`` in the hub
    repository); braindecode downloads it at construction, which we never do.
    """
    import json

    from ._channels import normalize_name
    from ._weights import WeightsNotFoundError, find_side_file

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
    vocab = [normalize_name(v) for v in json.loads(found.read_text())]
    missing = [n for n in names if normalize_name(n) not in vocab]
    if missing:
        raise ValueError(
            f"ST-EEGFormer's vocabulary lacks {missing}; drop them (epochs.drop_channels) "
            "or rename them to 10-05 names."
        )
    backbone.extra["chan_pos_idx"] = [vocab.index(normalize_name(n)) for n in names]
    backbone.report.append(f"channel slots from {found.name}")


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


def _build_eegpt(backbone):
    # braindecode's default patch_stride=32 overlaps; pretraining used none.
    return {
        **_build_with_chs(backbone),
        "chan_proj_type": "none",
        "patch_stride": backbone.contract.patch_len,
    }


# ----------------------------------------------------------------------------- contract
@dataclass(frozen=True)
class FMContract:
    """What one foundation model expects, and how to run it.

    Attributes
    ----------
    name : str
        Lower-case key, e.g. ``"cbramod"``.
    model_cls : str
        The braindecode class (``braindecode.models.<model_cls>``).
    sfreq : float
        Sampling rate of pretraining, in Hz.
    patch_len : int
        Samples per patch at ``sfreq``; windows are cropped to a multiple of it.
    channels : str
        ``"any"`` (any channels), ``"positions"`` (any channels with 3-D positions),
        ``"subset"`` (any subset of a named vocabulary), ``"fixed"`` (exactly the
        vocabulary, in order), ``"bipolar"`` (fixed bipolar derivations).
    units : str
        The amplitude scale the model was pretrained on, in words.
    scale : callable
        Maps microvolts, shape (n, c, t), to that scale.
    vocabulary_ref : str | None
        ``"module:NAME"`` of the braindecode channel list, read lazily.
    bipolar_ref : str | None
        ``"module:NAME"`` of the braindecode list of ``"A-B"`` derivations.
    bipolar_names : tuple of str | None
        The ``"A-B"`` derivations themselves, in pretraining order, when braindecode has
        no list of them.
    n_used : int | None
        How many entries of that vocabulary / derivation list the pretrained weights use.
    max_channels : int | None
        Largest channel count the model takes.
    patch_step : int | None
        Hop between patches when they overlap (valid lengths are ``patch_len + k *
        patch_step``); ``patch_len`` when None.
    min_patches, max_times, fixed_times : int | None
        Window constraints, in patches / samples at ``sfreq``.
    pooling : str
        Default pooling; ``poolings`` lists the supported ones.
    build_kwargs, features : callable
        Constructor arguments for a :class:`Backbone`, and ``(model, x, backbone) ->
        (tokens (B, C', P', D), cls (B, D) | None)``.
    head_keys : tuple of str
        Glob patterns of task-head state-dict keys (not part of the embedding).
    build_context, plan : callable | None
        A context manager the model is built in, and a step run once per fit that
        may resolve model-specific inputs into ``backbone.extra``.
    adapt_state : callable | None
        ``(checkpoint, model_state) -> checkpoint``: documented, lossless adjustments
        of a published checkpoint to this input (e.g. slicing a longer embedding).
    hub_repo, hub_files : str, tuple of str
        Hugging Face repository of the public weights and candidate file names.
    licence, pretraining, reference : str, tuple of str, str
        Licence of the weights, pretraining corpora, and the paper.
    embed_dim : int
        Size of one token.
    network : callable | None
        Builds the network instead of the braindecode class, where braindecode's port
        differs from the authors' (see ``models/_fixes.py``).
    prescale : callable | None
        ``(user microvolts, backbone) -> kwargs of scale``: statistics the pretraining
        pipeline took on the user's channels before they were reduced to the model's.
    resolve_positions : callable | None
        ``(backbone, montage positions) -> positions`` the pretrained network saw.
    vocabulary_names : tuple of str | None
        The channel list itself, in pretraining order, when braindecode has none.
    rereference : "average" | None
        Re-referencing of pretraining, applied to the user's channels before mapping and
        recorded in the report. To skip it, pass ``dataclasses.replace(contract,
        rereference=None)`` as the estimator's ``model``.
    fidelity : tuple of FidelityCheck
        What was checked against which source, and what remains unverified.
    pooled_norm : bool
        Normalise each pooled token vector with a fresh LayerNorm (no learned scale),
        as the authors' fine-tuning head does (LaBraM's ``fc_norm``); not the CLS token.
    hub_mirrors : tuple of str
        Other Hugging Face repositories that publish ``hub_files`` (e.g. a repository's
        former name), looked for in the cache and tried for download after ``hub_repo``.
    peft_targets : tuple of str | str
        Default PEFT ``target_modules`` of :class:`FMClassifier` (module-name suffixes,
        or one regular expression): attention and feed-forward linear layers that the
        forward pass calls through their ``forward`` (adapters on layers whose weights
        are applied directly would never train).
    """

    name: str
    model_cls: str
    sfreq: float
    patch_len: int
    channels: str
    units: str
    scale: Callable = field(compare=False, repr=False)
    build_kwargs: Callable = field(compare=False, repr=False)
    features: Callable = field(compare=False, repr=False)
    embed_dim: int
    hub_repo: str
    hub_files: tuple = ("model.safetensors", "pytorch_model.bin")
    vocabulary_ref: str | None = None
    bipolar_ref: str | None = None
    bipolar_names: tuple | None = None
    n_used: int | None = None
    max_channels: int | None = None
    needs_positions: bool = False
    patch_step: int | None = None
    min_patches: int = 1
    max_times: int | None = None
    fixed_times: int | None = None
    pooling: str = "mean"
    poolings: tuple = ("mean", "flatten", "channel")
    head_keys: tuple = ("final_layer.*",)
    build_context: Callable | None = field(default=None, compare=False, repr=False)
    plan: Callable | None = field(default=None, compare=False, repr=False)
    adapt_state: Callable | None = field(default=None, compare=False, repr=False)
    licence: str = "see the model card"
    pretraining: tuple = ()
    reference: str = ""
    network: Callable | None = field(default=None, compare=False, repr=False)
    prescale: Callable | None = field(default=None, compare=False, repr=False)
    resolve_positions: Callable | None = field(default=None, compare=False, repr=False)
    vocabulary_names: tuple | None = None
    rereference: str | None = None
    fidelity: tuple = field(default=(), compare=False, repr=False)
    pooled_norm: bool = False
    hub_mirrors: tuple = ()
    peft_targets: tuple | str = ()

    def _resolve(self, ref):
        from ..utils._imports import import_braindecode

        module, attr = ref.split(":")
        return getattr(import_braindecode(f"models.{module}"), attr)

    @property
    def step(self):
        """Hop between patches, in samples."""
        return self.patch_step or self.patch_len

    @property
    def vocabulary(self):
        """The model's channel names (None for ``"any"``/``"positions"`` models)."""
        if self.bipolar is not None:
            return list(dict.fromkeys(e for pair in self.bipolar for e in pair))
        if self.vocabulary_names is not None:
            return list(self.vocabulary_names)
        if self.vocabulary_ref is None:
            return None
        names = [
            c["ch_name"] if isinstance(c, dict) else c for c in self._resolve(self.vocabulary_ref)
        ]
        return names[: self.n_used]

    @property
    def bipolar(self):
        """The ``(anode, cathode)`` derivations of a bipolar model, else None."""
        if self.bipolar_names is not None:
            names = self.bipolar_names
        elif self.bipolar_ref is not None:
            names = self._resolve(self.bipolar_ref)
        else:
            return None
        pairs = [tuple(d.split("-")) for d in names]
        return pairs[: self.n_used]

    def describe(self):
        """One row of :func:`list_models`.

        Returns
        -------
        row : dict
            The contract in words.
        """
        vocab = self.vocabulary
        channels = {
            "any": "any channels",
            "positions": "any channels with 3-D positions",
            "subset": f"any subset of {len(vocab or ())} named channels",
            "fixed": f"exactly {len(vocab or ())} named channels",
            "bipolar": f"{self.n_used} bipolar derivations",
        }[self.channels]
        if self.max_channels:
            channels += f" (at most {self.max_channels})"
        return {
            "name": self.name,
            "braindecode_class": self.model_cls,
            "sfreq": self.sfreq,
            "patch_samples": self.patch_len,
            "window_multiple_s": self.step / self.sfreq,
            "min_window_s": (self.patch_len + self.step * (self.min_patches - 1)) / self.sfreq,
            "channels": channels,
            "units": self.units,
            "embed_dim": self.embed_dim,
            "default_pooling": self.pooling,
            "weights": f"{self.hub_repo}/{self.hub_files[0]}",
            "licence": self.licence,
            "pretraining": ", ".join(self.pretraining),
            "rereference": self.rereference or "none",
            "fidelity": fidelity_summary(self.fidelity),
        }


_CONTRACT_LIST = [
    FMContract(
        name="cbramod",
        model_cls="CBraMod",
        sfreq=200.0,
        patch_len=200,
        channels="any",
        units="microvolts / 100",
        scale=_Times(0.01),
        build_kwargs=_build_basic,
        features=_fixes.features_cbramod,  # encoder output, proj_out dropped
        embed_dim=200,
        hub_repo="braindecode/cbramod-pretrained",
        licence="MIT",
        pretraining=("TUEG",),
        reference="Wang et al., ICLR 2025",
        fidelity=FIDELITY["cbramod"],
        # nn.MultiheadAttention bypasses out_proj.forward: its feed-forward layers
        peft_targets=("linear1", "linear2"),
    ),
    FMContract(
        name="labram",
        model_cls="Labram",
        sfreq=200.0,
        patch_len=200,
        channels="subset",
        vocabulary_ref="labram:LABRAM_CHANNEL_ORDER",
        units="microvolts / 100",
        scale=_Times(0.01),
        build_kwargs=_build_labram,
        features=_fixes.features_labram,  # tokens before the pretrained norm
        pooled_norm=True,  # the authors' fresh fc_norm on the pooled tokens
        embed_dim=200,
        poolings=("mean", "cls", "flatten", "channel"),
        hub_repo="braindecode/labram-pretrained",
        max_times=3000,  # the published temporal embedding covers 15 one-second patches
        adapt_state=_labram_state,
        head_keys=("final_layer.*", "fc_norm.*"),
        licence="MIT",
        fidelity=FIDELITY["labram"],
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
    ),
    FMContract(
        name="biot",
        model_cls="BIOT",
        sfreq=200.0,
        patch_len=200,
        channels="bipolar",
        bipolar_ref="biot:BIOT_CHANNEL_ORDER",
        n_used=16,
        units="per-channel 95th percentile of |amplitude| = 1",
        scale=_percentile95,
        build_kwargs=_build_with_sfreq,
        features=_features_vector,
        embed_dim=256,
        hub_repo="braindecode/biot-pretrained-prest-16chs",
        licence="MIT",
        fidelity=FIDELITY["biot"],
        pretraining=("PREST", "SHHS"),
        reference="Yang et al., NeurIPS 2023",
        peft_targets=("to_q", "to_k", "to_v", "to_out"),
    ),
    FMContract(
        name="eegpt",
        model_cls="EEGPT",
        sfreq=256.0,
        # Non-overlapping 64-sample patches: EEGPT pretrain/modeling_pretraining.py:665
        # (patch_stride=None), engine_pretraining.py:46, linear_probe_EEGPT_BCIC2A.py:45.
        patch_len=64,
        channels="subset",
        vocabulary_ref="eegpt:EEGPT_CHANNELS",
        # V -> mV: datasets/pretrain/prepare_pretrain_dataset.py:170
        units="millivolts",
        scale=_Times(1e-3),
        build_kwargs=_build_eegpt,
        features=_features_sequence,
        embed_dim=2048,
        # The authors' probe flattens the per-patch summaries (linear_probe_EEGPT_BCIC2A.py
        # :86-92: z.flatten(2), a per-patch linear layer, then flatten(1)).
        pooling="flatten",
        # Average reference: prepare_pretrain_dataset.py:51 (x - x.mean(-2), channels).
        rereference="average",
        hub_repo="braindecode/eegpt-pretrained",
        licence="Apache-2.0",  # EEGPT repository LICENSE
        fidelity=FIDELITY["eegpt"],
        pretraining=("PhysioNet MI (EEGMMIDB)", "HGD", "TSU", "SEED", "M3CV"),
        reference="Wang et al., NeurIPS 2024",
        peft_targets=("qkv", "proj"),
    ),
    FMContract(
        name="reve",
        model_cls="REVE",
        sfreq=200.0,
        patch_len=200,
        patch_step=180,
        channels="positions",
        units="per-channel z-score, clipped at 15",
        scale=_zscore_clip15,
        build_kwargs=_build_reve,
        features=_features_reve,
        build_context=_reve_positions_bank,
        resolve_positions=_fixes.reve_positions,  # the bank's coordinates, by name
        fidelity=FIDELITY["reve"],
        embed_dim=512,
        # The authors' classifier defaults to pooling "last", their pretrained query's
        # attention pooling (src/models/classifier.py:62, 122-130).
        pooling="cls",
        poolings=("cls", "mean", "flatten", "channel"),
        adapt_state=_reve_query_state,
        hub_repo="brain-bzh/reve-base",
        head_keys=("final_layer.*",),
        licence="REVE model licence (gated on the hub; accept its terms)",
        pretraining=("60,000+ hours from 92 public datasets incl. TUEG",),
        reference="El Ouahidi et al., NeurIPS 2025",
        peft_targets=("to_qkv", "to_out"),
    ),
    FMContract(
        name="luna",
        model_cls="LUNA",
        sfreq=256.0,
        patch_len=40,
        channels="positions",
        units="per-channel z-score",
        scale=_fixes.luna_zscore,  # BioFoundation tasks/pretrain_task_LUNA.py:30-39
        build_kwargs=_build_luna,
        features=_features_luna,
        network=_fixes.luna_with_norms,  # + the authors' two LayerNorms
        resolve_positions=_fixes.luna_positions,  # derivations at their midpoint
        embed_dim=256,
        poolings=("mean", "flatten"),
        # braindecode (luna.py:51-69) and later users load LUNA_base.safetensors from the
        # root of PulpBio/LUNA, the repository's current name; the authors' README
        # (BioFoundation README.md:91-124) names thorir/LUNA, its former name, and a
        # Base/ folder. Both names and both paths are tried (see _fidelity.py).
        hub_repo="PulpBio/LUNA",
        hub_mirrors=("thorir/LUNA",),
        hub_files=("LUNA_base.safetensors", "Base/LUNA_base.safetensors"),
        head_keys=("final_layer.*", "decoder_head.*", "channel_emb.*"),
        licence="CC BY-ND 4.0",
        fidelity=FIDELITY["luna"],
        pretraining=("TUEG", "Siena"),
        reference="Doner et al., NeurIPS 2025",
        peft_targets=("qkv_proj", "attn.proj"),
    ),
    FMContract(
        name="signaljepa",
        model_cls="SignalJEPA",
        sfreq=128.0,
        patch_len=152,
        patch_step=128,
        channels="subset",
        vocabulary_ref="signal_jepa:_PRETRAIN_CHS_INFO",
        units="microvolts",
        scale=_Times(1.0),
        build_kwargs=_build_signaljepa,
        features=_features_channel_major,
        embed_dim=64,
        # The authors' contextual probe (lp_contextual, S-JEPA scripts/config/
        # eeg_jepa_Lee2019_eval.yaml:28) is a spatial convolution, a flatten and a linear
        # layer on the contextual tokens (braindecode signal_jepa.py:1498-1514): linear in
        # the flattened tokens, which "flatten" hands to the probe.
        pooling="flatten",
        hub_repo="braindecode/signal-jepa",
        head_keys=(),
        # S-JEPA scripts/preprocess_moabb_dataset.py:35: set_eeg_reference("average").
        rereference="average",
        fidelity=FIDELITY["signaljepa"],
        licence="not stated by the authors (braindecode hub)",
        pretraining=("Lee2019 (OpenBMI)",),
        reference="Guetschel et al., 2024",
        # The decoder layers are pretraining-only; adapt the encoder's.
        peft_targets=r".*encoder\.layers\.\d+\.linear[12]",
    ),
    FMContract(
        name="bendr",
        model_cls="BENDR",
        sfreq=256.0,
        patch_len=96,
        channels="fixed",
        vocabulary_ref="bendr:BENDR_CHANNEL_ORDER",
        n_used=19,
        units="min-max scaled to [-1, 1] over the trial's EEG channels, plus dn3's SCALE "
        "channel (trial range / TUEG range)",
        scale=_fixes.bendr_scale,
        prescale=_fixes.bendr_span,
        build_kwargs=_build_bendr,
        features=_fixes.features_bendr,  # last position, as the authors' classifier
        network=_fixes.bendr_unnormed_context,
        embed_dim=512,
        poolings=("mean",),
        hub_repo="braindecode/braindecode-bendr",
        # + the authors' encoder.pt, joined with contextualizer.pt beside it (_layouts.py)
        hub_files=("model.safetensors", "pytorch_model.bin", "encoder.pt"),
        licence="no licence published (the BENDR repository has no licence file)",
        fidelity=FIDELITY["bendr"],
        pretraining=("TUEG",),
        reference="Kostas et al., 2021",
        peft_targets=("linear1", "linear2"),
    ),
    FMContract(
        name="codebrain",
        model_cls="CodeBrain",
        sfreq=200.0,
        patch_len=200,
        channels="any",
        units="microvolts / 100",
        scale=_Times(0.01),
        build_kwargs=_build_basic,
        features=_features_grid,
        embed_dim=200,
        hub_repo="braindecode/codebrain-pretrained",
        licence="see the model card",
        fidelity=FIDELITY["codebrain"],
        pretraining=("TUEG",),
        reference="Ma et al., 2025",
        peft_targets=("output_linear",),
    ),
    FMContract(
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
        scale=_Times(0.01),
        build_kwargs=_build_with_sfreq,
        features=_features_channel_major,
        fidelity=FIDELITY["eegdino"],
        embed_dim=200,
        poolings=("mean", "cls", "flatten", "channel"),
        hub_repo="braindecode/eegdino-small-pretrained",
        licence="see the model card",
        pretraining=("TUEG",),
        reference="Wang et al., 2025 (EEG-DINO)",
        # qkv.weight is applied with F.linear, and other "proj" modules are Identity.
        peft_targets=("attn.proj", "mlp.fc1", "mlp.fc2"),
    ),
    FMContract(
        name="steegformer",
        model_cls="STEEGFormer",
        sfreq=128.0,
        patch_len=16,
        channels="any",
        max_channels=145,
        units="clipped at +-500 uV, then per-channel z-score",
        scale=_clip500_zscore,
        build_kwargs=_build_steegformer,
        features=_fixes.features_steegformer,  # un-normalised tokens, CLS dropped
        plan=_plan_steegformer,
        fidelity=FIDELITY["steegformer"],
        embed_dim=512,
        poolings=("mean", "cls", "flatten", "channel"),
        # The authors' temporal table has 512 rows, row 0 for the CLS token and patches at
        # 1..Seq (STEEGFormer benchmark/neural_networks/models/models_vit_eeg.py:91, 125):
        # 511 patches at most; braindecode's 2048-row table goes beyond what they can run.
        max_times=16 * 511,
        hub_repo="braindecode/STEEGFormer-small",
        licence="MIT",
        pretraining=("public BCI datasets: MI, P300, SSVEP, SEED, HGD, ... (authors' list)",),
        reference="Yang et al., ICLR 2026",
        peft_targets=("queries", "keys", "values", "projection"),
    ),
]



def _features_femba(model, x, backbone):
    # (B, tokens, grid_h * embed_dim): the encoder output, one token per 16 samples
    return model(x)[:, None], None


def _build_femba(size):
    blocks, embed = _femba.FEMBA_SIZES[size]

    def build(backbone):
        return {
            "n_chans": len(backbone.contract.bipolar),
            "n_times": backbone.n_times,
            "embed_dim": embed,
            "num_blocks": blocks,
        }

    return build


# The published fine-tuned files (BioFoundation README.md:53-80 names thorir/FEMBA, with
# "TUAR/base.safetensors" at :80; the repository moved to PulpBio/FEMBA as LUNA's did).
_FEMBA_FILES = {
    "tiny": ("TUSL/FEMBA_tiny.safetensors", "TUSL/tiny.safetensors"),
    "base": tuple(f"{t}/{n}.safetensors" for n in ("FEMBA_base", "base") for t in ("TUAB", "TUAR", "TUSL")),
    "large": tuple(f"{t}/{n}.safetensors" for n in ("FEMBA_large", "large") for t in ("TUAB", "TUAR", "TUSL")),
}

for _size, _files in _FEMBA_FILES.items():
    _CONTRACT_LIST.append(
        FMContract(
            name=f"femba_{_size}",
            model_cls="FEMBA",
            network=_femba.femba_network,
            sfreq=256.0,
            patch_len=16,
            channels="bipolar",
            bipolar_names=_femba.TCP_DERIVATIONS,
            n_used=22,
            units="microvolts, (x + 20) / 40",
            scale=_femba.femba_quartile_scale,
            build_kwargs=_build_femba(_size),
            features=_features_femba,
            embed_dim=11 * _femba.FEMBA_SIZES[_size][1],
            poolings=("mean", "flatten"),
            max_times=1280,  # the 80-token position table of 5-s windows
            adapt_state=_femba.femba_positions_state,
            head_keys=("classifier.*", "decoder.*"),
            hub_repo="PulpBio/FEMBA",
            hub_mirrors=("thorir/FEMBA",),
            hub_files=_files,
            licence="CC BY-ND 4.0",
            fidelity=FIDELITY["femba"],
            pretraining=("TUEG (without TUAB/TUAR/TUSL subjects)",),
            reference="Tegon et al., 2025 (FEMBA, arXiv:2502.06438)",
            peft_targets=("in_proj", "x_proj", "out_proj"),
        )
    )

_CONTRACT_LIST.append(
    FMContract(
        name="lumamba",
        model_cls="LuMamba",
        network=_lumamba.lumamba_network,  # braindecode's LUNA front-end + Mamba blocks
        sfreq=256.0,
        patch_len=40,
        channels="positions",
        units="per-channel z-score (LUNA's; LuMamba's own is unverified)",
        scale=_fixes.luna_zscore,
        build_kwargs=_build_luna,
        features=_features_femba,
        resolve_positions=_fixes.luna_positions,
        embed_dim=384,
        poolings=("mean", "flatten"),
        hub_repo="PulpBio/LuMamba",
        hub_files=_lumamba.LUMAMBA_FILES,
        head_keys=("decoder_head.*", "channel_emb.*", "classifier.*", "final_layer.*"),
        licence="CC BY-ND 4.0",
        fidelity=FIDELITY["lumamba"],
        pretraining=("TUEG",),
        reference="Broustail et al., 2025 (LuMamba)",
        # The Mamba layers' projections; LUNA's attention out_proj (same suffix) is applied
        # by nn.MultiheadAttention without its forward.
        peft_targets=r".*mamba_blocks\.\d+\.mamba_(fwd|rev)\.(in_proj|x_proj|out_proj)",
    )
)

CONTRACTS: dict[str, FMContract] = {c.name: c for c in _CONTRACT_LIST}


def get_contract(name):
    """Return the contract of a model.

    Parameters
    ----------
    name : str
        Model name (case-insensitive), e.g. ``"cbramod"``.

    Returns
    -------
    contract : FMContract
        The model's contract.
    """
    if isinstance(name, FMContract):
        return name
    key = str(name).lower().replace("-", "").replace("_", "")
    aliases = {c.replace("-", "").replace("_", ""): c for c in CONTRACTS}
    if key in aliases:
        return CONTRACTS[aliases[key]]
    close = difflib.get_close_matches(str(name).lower(), sorted(CONTRACTS), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"Unknown model {name!r}; available: {sorted(CONTRACTS)}.{hint}")


def list_models():
    """List the foundation models and their input contracts.

    Returns
    -------
    table : pandas.DataFrame
        One row per model: rate, window multiple, channel policy, units, weights,
        embedding size, licence and pretraining corpora.

    Examples
    --------
    >>> from sklearn_eegfm import list_models
    >>> "cbramod" in list_models()["name"].tolist()
    True
    """
    import pandas as pd

    return pd.DataFrame([c.describe() for c in CONTRACTS.values()])
