"""The contract a foundation model module declares: the class, and its fidelity records.

Every model of ``sklearn_eegfm/models/zoo/`` defines one frozen :class:`FMContract` named
``CONTRACT``; estimators read it and never branch on model names. This module is generic
machinery below the zoo: it never imports a model module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

POOLINGS = ("mean", "cls", "flatten", "channel")
CHANNEL_KINDS = ("any", "positions", "subset", "fixed", "bipolar")
STATUSES = ("fixed", "verified", "deviates", "unverified")

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


class FidelityCheck(NamedTuple):
    """One aspect of a contract compared with one source.

    Attributes
    ----------
    aspect : str
        E.g. ``"patches"``, ``"read-out"``, ``"weights layout"``.
    status : str
        ``"fixed"`` (differed, now follows the source), ``"verified"`` (agrees),
        ``"deviates"`` (differs on purpose; the note says why and how to get the source's) or
        ``"unverified"`` (not compared, or no source could be read).
    source : str
        Repository and file:line, or why none.
    note : str
        What the source says.
    """

    aspect: str
    status: str
    source: str
    note: str


def manifest_check(name):
    """Source of a "weights layout" check made on ``tests/models/manifests/<name>.json``.

    Parameters
    ----------
    name : str
        The manifest's stem (the model name).

    Returns
    -------
    source : str
        The text of the check's ``source`` field.
    """
    return f"tests/models/manifests/{name}.json: random checkpoint in the authors' layout loads"


def fidelity_summary(checks):
    """Summarise checks in one line: counts, then the unverified aspects.

    Parameters
    ----------
    checks : tuple of FidelityCheck
        A contract's ``fidelity``.

    Returns
    -------
    summary : str
        E.g. ``"2 fixed, 1 verified; unverified: units"``.
    """
    counts = [f"{sum(c.status == s for c in checks)} {s}" for s in STATUSES[:-1]]
    todo = [c.aspect for c in checks if c.status == "unverified"]
    return ", ".join(counts) + (f"; unverified: {', '.join(todo)}" if todo else "")


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
    plan : callable | None
        A step run once per fit that may resolve model-specific inputs into
        ``backbone.extra``.
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
        ``(backbone, **build_kwargs) -> torch.nn.Module``: builds the network instead of
        the braindecode class, where braindecode's port differs from the authors' or
        needs inputs passed as arguments (REVE's electrode bank).
    prescale : callable | None
        ``(user microvolts, backbone) -> kwargs of scale``: statistics the pretraining
        pipeline took on the user's channels before they were reduced to the model's.
    resolve_positions : callable | None
        ``(backbone, montage positions) -> positions`` the pretrained network saw.
    vocabulary_names : tuple of str | None
        The channel list itself, in pretraining order, when braindecode has none.
    rereference : "average" | "model-average" | None
        Re-referencing of pretraining, recorded in the report: the common average of the
        user's channels before mapping (``"average"``), or of the model's channels after
        it (``"model-average"``, EEGPT's average over the channels it picked). To skip it,
        pass ``dataclasses.replace(contract, rereference=None)`` as the estimator's ``model``.
    fidelity : tuple of FidelityCheck
        What was checked against which source, and what remains unverified.
    checkpoint_layouts : tuple of CheckpointLayout
        Key maps of the authors' published files onto braindecode's keys (braindecode's
        own layout is always tried first, unless one of these is declared native).
    checkpoint_parts : tuple of (str, str)
        ``(file name, key prefix)`` of a checkpoint published as one file per module
        (BENDR's ``encoder.pt`` and ``contextualizer.pt``), joined when read.
    reference_fixture : str | None
        Stem of the model's reference fixture, ``tests/models/reference/<stem>.npz``
        with its recipe ``<stem>.md``: outputs of the authors' own code.
    resampling : str
        How the authors changed the rate, applied to each epoch: ``"fft"`` (MNE's
        ``epochs.resample``), ``"fft-grid"`` (MNE's ``raw.resample`` of the whole
        recording, per epoch on the exact sample grid), ``"scipy-fft"``
        (``scipy.signal.resample`` per trial) or ``"nearest"`` (dn3's nearest-neighbour
        interpolation); see
        :func:`sklearn_eegfm._signal.resample_epochs`.
    recipe : tuple of (str, dict)
        The authors' preprocessing of the continuous recording, as ``mne.io.Raw`` method
        calls in order (``("filter", {"l_freq": 0.3, "h_freq": None})``), before they
        resampled it and cut epochs; :func:`~sklearn_eegfm.models.apply_recipe` runs it.
        Left to the user: estimators receive epochs.
    recipe_source : str
        The authors' file and lines the recipe follows, and what it leaves out.
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
    checkpoint_layouts: tuple = field(default=(), compare=False, repr=False)
    checkpoint_parts: tuple = ()
    reference_fixture: str | None = None
    resampling: str = "fft"
    recipe: tuple = ()
    recipe_source: str = ""

    def recipe_lines(self):
        """Return the authors' continuous-data preprocessing as MNE calls, one per step.

        Returns
        -------
        lines : list of str
            E.g. ``["raw.filter(l_freq=0.3, h_freq=None)", "raw.resample(sfreq=200.0)"]``,
            then the source; empty when the authors' preparation is not known.
        """
        if not self.recipe:
            return [f"not known: {self.recipe_source}"] if self.recipe_source else []
        calls = [
            f"raw.{method}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
            for method, kwargs in self.recipe
        ]
        return [*calls, f"source: {self.recipe_source}"]

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
