"""Pipelines by name: the reference line-up and the names ``--pipelines`` understands.

A pipeline name is a *base* name, optionally followed by ``+<adapter>`` suffixes that wrap
it (test-time adaptation, alignment). Base names are matched, longest first, against the
patterns of :data:`BASES` (a name such as ``xdawn+ts`` may itself hold a ``+``); each
remaining ``+<suffix>`` must be a key of :data:`SUFFIXES`. One table each, so that a new
estimator plugs into :func:`~sklearn_eegfm.evaluation.compare` and the command line by
adding one entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineName:
    """One family of base pipeline names.

    Parameters
    ----------
    pattern : str
        Regular expression a whole base name must match. A named group ``model``
        (a foundation-model key) tells the command line which weights the pipeline needs.
    factory : callable
        ``factory(match, options) -> estimator``; ``options`` is a :class:`PipelineOptions`.
    help : str
        One line for ``--help`` and error messages.
    example : str
        A concrete name of the family.
    """

    pattern: str
    factory: Callable
    help: str
    example: str


@dataclass(frozen=True)
class PipelineOptions:
    """Settings shared by every factory.

    Parameters
    ----------
    weights : "auto" | str | None | dict
        Foundation-model weights, or a dict ``{model: weights}`` (models not in it:
        ``"auto"``).
    fast : bool
        Shorter training (demos and tests).
    channel_policy : str
        How foundation models handle channels they lack.
    """

    weights: object = "auto"
    fast: bool = False
    channel_policy: str = "interpolate"

    def weights_for(self, model):
        """Weights of one model."""
        if isinstance(self.weights, dict):
            return self.weights.get(model, "auto")
        return self.weights


def _model(match):
    from ..models import get_contract

    return get_contract(match.group("model")).name


def _xdawn_ts(match, options):
    from ..baselines import make_riemannian_pipeline

    return make_riemannian_pipeline("erp")


def _erp_features(match, options):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..baselines import ERPFeatures

    return make_pipeline(ERPFeatures(), StandardScaler(), LogisticRegression(C=0.1, max_iter=1000))


def _riemann(kind):
    def factory(match, options):
        from ..baselines import make_riemannian_pipeline

        return make_riemannian_pipeline(kind)

    return factory


def _ssvep(factory):
    def build(match, options):
        from .. import baselines

        return getattr(baselines, factory)()

    return build


def _bandpower(match, options):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..baselines import BandPower

    return make_pipeline(
        BandPower(log=True), StandardScaler(), LogisticRegression(C=0.1, max_iter=1000)
    )


def _specialist(match, options):
    from ..baselines import SpecialistClassifier

    return SpecialistClassifier(match.group(0), max_epochs=8 if options.fast else 60)


def _eegnet(match, options):
    from ..baselines import SpecialistClassifier

    return SpecialistClassifier("eegnet", max_epochs=8 if options.fast else 60)


def _frozen(cls_name):
    """Build a frozen-backbone probe (``LinearProbe``, ``RidgeProbe``) for a model name."""

    def build(match, options):
        from .. import models

        name = _model(match)
        return getattr(models, cls_name)(
            name,
            weights=options.weights_for(name),
            channel_policy=options.channel_policy,
            class_weight="balanced",
        )

    return build


_fm_probe = _frozen("LinearProbe")
_fm_ridge = _frozen("RidgeProbe")


def _fm_finetune(match, options):
    from ..models import FMClassifier

    name = _model(match)
    return FMClassifier(
        name,
        finetune=match.group("strategy"),
        weights=options.weights_for(name),
        channel_policy=options.channel_policy,
        class_weight="balanced",
        max_epochs=3 if options.fast else 30,
    )


# Tokenizer families of ``tok-<kind>+<features>``: small codebooks a laptop fits in seconds.
_TOKENIZERS = {
    "kmeans": ("PatchKMeansTokenizer", dict(n_codes=16, patch_duration=0.1)),
    "vq": ("VQTokenizer", dict(n_codes=32, patch_duration=0.125)),
    "rvq": ("RVQTokenizer", dict(n_codes=16, n_levels=3, patch_duration=0.125)),
}
# Published tokenizers of ``tok-<kind>+<features>``: pretrained vocabularies, nothing fitted;
# their weights come from ``options.weights_for(<release name>)`` (None: random codebooks).
_PRETRAINED_TOKENIZERS = {
    "tfm": ("TFMTokenizer", "tfm-tokenizer"),
    "biocodec": ("BioCodecTokenizer", "biocodec"),
}
# "bag": TF-IDF over code unigrams and bigrams (where codes occur is lost); "onehot": one
# bag per token position, i.e. the one-hot codes (keeps latency, which ERPs need).
_TOKEN_FEATURES = {
    "bag": dict(ngram_range=(1, 2), weighting="tfidf"),
    "onehot": dict(sequence_length=1, per_sequence=True),
}


def _tokens(match, options):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from .. import tokenizers

    kind = match.group("tokenizer")
    if kind in _PRETRAINED_TOKENIZERS:
        cls_name, release = _PRETRAINED_TOKENIZERS[kind]
        params = {"weights": options.weights_for(release)}
    else:
        cls_name, params = _TOKENIZERS[kind]
        params = dict(params)
    if cls_name in ("VQTokenizer", "RVQTokenizer"):
        params["max_epochs"] = 2 if options.fast else 8
    return make_pipeline(
        getattr(tokenizers, cls_name)(**params),
        tokenizers.BagOfTokens(**_TOKEN_FEATURES[match.group("features")]),
        LogisticRegression(C=0.1, max_iter=1000, class_weight="balanced"),
    )


#: Base pipeline names, tried in order; the first whose pattern matches wins.
BASES = [
    PipelineName(
        r"xdawn\+ts",
        _xdawn_ts,
        "XdawnCovariances + TangentSpace + logistic regression (ERP)",
        "xdawn+ts",
    ),
    PipelineName(
        r"erp-features",
        _erp_features,
        "ERPFeatures + standardisation + logistic regression",
        "erp-features",
    ),
    PipelineName(
        r"erp-mdm", _riemann("erp-mdm"), "XdawnCovariances + MDM (ERP, no tuning)", "erp-mdm"
    ),
    PipelineName(r"csp", _riemann("csp"), "CSP (log-variance) + LDA (motor imagery)", "csp"),
    PipelineName(
        r"cov\+ts",
        _riemann("mi"),
        "Covariances + TangentSpace + logistic regression (motor imagery, resting)",
        "cov+ts",
    ),
    PipelineName(
        r"bandpower",
        _bandpower,
        "log band power + standardisation + logistic regression (resting)",
        "bandpower",
    ),
    PipelineName(
        r"fb\+ts",
        _ssvep("filter_bank_tangent_space"),
        "FilterBank around the stimulation frequencies + Covariances + TangentSpace + "
        "logistic regression (SSVEP)",
        "fb+ts",
    ),
    PipelineName(
        r"fb\+mdm",
        _ssvep("filter_bank_mdm"),
        "FilterBank + Covariances + MDM (SSVEP, no tuning)",
        "fb+mdm",
    ),
    PipelineName(
        r"cca", _ssvep("SSVEPCCA"), "CCA with reference sinusoids (SSVEP, training-free)", "cca"
    ),
    PipelineName(r"trca", _ssvep("SSVEPTRCA"), "ensemble TRCA over a filter bank (SSVEP)", "trca"),
    PipelineName(r"eegnet", _eegnet, "EEGNet trained from scratch", "eegnet"),
    PipelineName(
        r"shallow|deep4|eeginception-erp|eegconformer|fbcnet|atcnet",
        _specialist,
        "another braindecode network trained from scratch (SpecialistClassifier)",
        "shallow",
    ),
    PipelineName(
        r"tok-(?P<tokenizer>kmeans|vq|rvq|tfm|biocodec)\+(?P<features>bag|onehot)",
        _tokens,
        "tokenizer (kmeans, vq or rvq, fitted; tfm or biocodec, pretrained) + BagOfTokens "
        "(bag: TF-IDF of code uni- and bigrams; onehot: codes per position) + logistic "
        "regression",
        "tok-kmeans+bag",
    ),
    PipelineName(
        r"fm-(?P<model>[A-Za-z0-9_]+)",
        _fm_probe,
        "frozen foundation model + logistic head (LinearProbe)",
        "fm-cbramod",
    ),
    PipelineName(
        # the strategies of sklearn_eegfm.models.FMClassifier (a test keeps them in step)
        r"ft-(?P<model>[A-Za-z0-9_]+)-"
        r"(?P<strategy>full|head|last_k|two_stage|lora|ia3|adalora|dora|oft)",
        _fm_finetune,
        "foundation model fine-tuned (FMClassifier); strategy full, head, last_k, "
        "two_stage, lora, ia3, adalora, dora or oft",
        "ft-cbramod-lora",
    ),
    PipelineName(
        r"ridge-(?P<model>[A-Za-z0-9_]+)",
        _fm_ridge,
        "frozen foundation model + closed-form ridge head (RidgeProbe)",
        "ridge-cbramod",
    ),
]

#: Baselines of the default line-up, before one ``fm-<model>`` probe per model.
DEFAULT_BASELINES = ("xdawn+ts", "erp-features", "eegnet")

#: Default baselines per paradigm (None: the paradigm is unknown).
PARADIGM_BASELINES = {
    "erp": DEFAULT_BASELINES,
    "mi": ("csp", "cov+ts", "eegnet"),
    "resting": ("cov+ts", "bandpower", "eegnet"),
    # Every SSVEP baseline reads the stimulation frequencies from the labels.
    "ssvep": ("fb+ts", "fb+mdm", "cca", "trca", "eegnet"),
    None: ("cov+ts", "eegnet"),
}


def default_baselines(paradigm=None):
    """Name the default baselines of a paradigm.

    Parameters
    ----------
    paradigm : "erp" | "mi" | "resting" | "ssvep" | None
        The kind of data; None gives baselines that suit any (covariances, EEGNet).

    Returns
    -------
    names : tuple of str
        Pipeline names.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation.pipelines import default_baselines
    >>> default_baselines("mi")
    ('csp', 'cov+ts', 'eegnet')
    """
    if paradigm not in PARADIGM_BASELINES:
        raise ValueError(
            f"Unknown paradigm {paradigm!r}; choose one of {[p for p in PARADIGM_BASELINES if p]}."
        )
    return PARADIGM_BASELINES[paradigm]


def _adapter(name):
    """Wrap an estimator in the test-time adapter ``name`` of the adaptation package."""

    def wrap(estimator, options):
        from .. import adaptation

        return getattr(adaptation, name)(estimator)

    return wrap


def _aligned(name):
    """Put the per-domain alignment ``name`` at the front of the pipeline.

    Alignment changes the input of every step, so it goes first rather than around the
    estimator: ``xdawn+ts+ea`` is ``EuclideanAlignment -> EpochsToArray -> Xdawn ...``
    and ``fm-cbramod+ea`` feeds aligned epochs to the probe. Its ``domain`` is left at
    None for :func:`~sklearn_eegfm.evaluation.compare` to set per protocol.
    """

    def wrap(estimator, options):
        from sklearn.base import clone
        from sklearn.pipeline import Pipeline, make_pipeline

        from .. import adaptation

        front = getattr(adaptation, name)()
        if isinstance(estimator, Pipeline):
            # An array description belongs to the first step, which now receives the
            # aligned EpochsData (microvolts). The step is a clone: the estimator given
            # stays as it was.
            (first_name, first), *rest = estimator.steps
            described = {k: getattr(first, k, None) for k in ("sfreq", "ch_names", "units")}
            described = {k: v for k, v in described.items() if v is not None}
            front.set_params(**described)
            first = clone(first).set_params(**dict.fromkeys(described))
            steps = [(type(front).__name__.lower(), front), (first_name, first), *rest]
            return Pipeline(steps)
        return make_pipeline(front, estimator)

    return wrap


def _stretched(estimator, options):
    """Turn on dispersion stretching of the recentering that ``+recenter`` put in front."""
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from .. import adaptation

    first = estimator.steps[0][1] if isinstance(estimator, Pipeline) else None
    if not isinstance(first, adaptation.RiemannianRecentering):
        raise ValueError(
            "+stretch stretches the Riemannian recentering in front of the pipeline: put "
            "it right after +recenter (e.g. 'xdawn+ts+recenter+stretch')."
        )
    return clone(estimator).set_params(**{f"{estimator.steps[0][0]}__stretch": True})


#: Suffixes ``+<name>``: ``name -> (wrap(estimator, options) -> estimator, help)``.
SUFFIXES: dict[str, tuple[Callable, str]] = {
    "ea": (_aligned("EuclideanAlignment"), "Euclidean alignment of each domain, in front"),
    "latency": (
        _aligned("LatencyAlignment"),
        "shift each domain so its average evoked response lines up with the source's, in "
        "front (ERP data read with a 0.1 s margin)",
    ),
    "recenter": (
        _aligned("RiemannianRecentering"),
        "Riemannian recentering (pyRiemann TLCenter) of each domain, in front",
    ),
    "stretch": (
        _stretched,
        "after +recenter: equalise each domain's dispersion too (pyRiemann TLScale)",
    ),
    "adabn": (_adapter("NormStatsAdapter"), "AdaBN: BatchNorm statistics of each test domain"),
    "tent": (_adapter("TENTAdapter"), "TENT entropy minimisation per test domain"),
    "t3a": (_adapter("T3AAdapter"), "T3A prototype adjustment per test domain"),
    "lame": (_adapter("LAMEAdapter"), "LAME output smoothing per test domain"),
    "eata": (_adapter("EATAAdapter"), "EATA reliable-sample entropy minimisation"),
    "sar": (_adapter("SARAdapter"), "SAR sharpness-aware entropy minimisation"),
    "shot": (_adapter("SHOTAdapter"), "SHOT information maximisation, frozen head"),
}
SUFFIXES["norm"] = (SUFFIXES["adabn"][0], "alias of +adabn")


def _match_base(text):
    for spec in BASES:
        match = re.fullmatch(spec.pattern, text)
        if match is not None:
            return spec, match
    return None, None


def parse_pipeline_name(name):
    """Split a pipeline name into its base and its adapter suffixes.

    Parameters
    ----------
    name : str
        E.g. ``"xdawn+ts"``, ``"fm-cbramod"``, ``"xdawn+ts+recenter"``.

    Returns
    -------
    base : str
        The base name.
    match : re.Match
        The base pattern's match (``match.groupdict().get("model")`` names the model).
    suffixes : list of str
        Adapter suffixes, innermost first.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation.pipelines import parse_pipeline_name
    >>> parse_pipeline_name("xdawn+ts")[0]
    'xdawn+ts'
    """
    parts = str(name).strip().split("+")
    for cut in range(len(parts), 0, -1):
        spec, match = _match_base("+".join(parts[:cut]))
        if spec is not None and all(s in SUFFIXES for s in parts[cut:]):
            return "+".join(parts[:cut]), match, parts[cut:]
    raise ValueError(f"Unknown pipeline {name!r}. {describe_names()}")


def describe_names():
    """One sentence listing the pipeline names and suffixes understood.

    Returns
    -------
    text : str
        Base name families (with an example each) and adapter suffixes.
    """
    bases = "; ".join(f"{s.example} ({s.help})" for s in BASES)
    text = f"Base pipelines: {bases}."
    if SUFFIXES:
        text += " Suffixes: " + ", ".join(f"+{k} ({v[1]})" for k, v in SUFFIXES.items()) + "."
    return text


def make_named_pipeline(name, *, weights="auto", fast=False, channel_policy="interpolate"):
    """Build one pipeline from its name.

    Parameters
    ----------
    name : str
        A base name with optional ``+<suffix>`` adapters (see :func:`describe_names`).
    weights : "auto" | str | None | dict
        Foundation-model weights (None: random initialisation, labelled as such), or a
        dict ``{model: weights}``.
    fast : bool
        Shorter training of networks trained from scratch (demos and tests).
    channel_policy : str
        How foundation models handle channels they lack.

    Returns
    -------
    estimator : estimator
        An unfitted classifier.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation import make_named_pipeline
    >>> make_named_pipeline("xdawn+ts")  # doctest: +ELLIPSIS
    Pipeline(...)
    """
    options = PipelineOptions(weights=weights, fast=fast, channel_policy=channel_policy)
    base, match, suffixes = parse_pipeline_name(name)
    spec, _ = _match_base(base)
    estimator = spec.factory(match, options)
    for suffix in suffixes:
        estimator = SUFFIXES[suffix][0](estimator, options)
    return estimator


def pipeline_model(name):
    """Name the foundation model a pipeline needs, or None.

    Parameters
    ----------
    name : str
        A pipeline name.

    Returns
    -------
    model : str | None
        The contract name, e.g. ``"cbramod"`` for ``"fm-cbramod+tent"``.
    """
    _, match, _ = parse_pipeline_name(name)
    return _model(match) if "model" in match.groupdict() else None


def pipeline_tokenizer(name):
    """Name the published tokenizer a pipeline needs weights for, or None.

    Parameters
    ----------
    name : str
        A pipeline name.

    Returns
    -------
    release : str | None
        The tokenizer's release name, e.g. ``"biocodec"`` for ``"tok-biocodec+bag"``; the
        key of its weights in a ``weights`` dict.
    """
    _, match, _ = parse_pipeline_name(name)
    kind = match.groupdict().get("tokenizer")
    return _PRETRAINED_TOKENIZERS[kind][1] if kind in _PRETRAINED_TOKENIZERS else None


def default_pipelines(
    models=("cbramod",),
    *,
    weights="auto",
    fast=False,
    channel_policy="interpolate",
    paradigm="erp",
):
    """Pipelines that answer "does a foundation model beat my baselines?".

    Parameters
    ----------
    models : sequence of str
        Foundation models to probe (see :func:`sklearn_eegfm.list_models`).
    weights : "auto" | str | None | dict
        Weights of the foundation models (None: random initialisation, labelled as
        such in every result), or a dict ``{model: weights}``.
    fast : bool
        Shorter training of the specialist network (for demos and tests).
    channel_policy : str
        How the probes handle channels the models lack.
    paradigm : "erp" | "mi" | "resting" | "ssvep" | None
        Chooses the baselines (see :func:`default_baselines`).

    Returns
    -------
    pipelines : dict of str to estimator
        For ERP: ``"xdawn+ts"`` (XdawnCovariances + TangentSpace + logistic regression),
        ``"erp-features"`` (ERPFeatures + logistic regression), ``"eegnet"`` (trained from
        scratch); for motor imagery ``"csp"`` and ``"cov+ts"`` instead of the first two;
        and ``"fm-<model>"`` (:class:`~sklearn_eegfm.LinearProbe`) per model.

    Examples
    --------
    >>> from sklearn_eegfm.evaluation import default_pipelines
    >>> sorted(default_pipelines(weights=None))
    ['eegnet', 'erp-features', 'fm-cbramod', 'xdawn+ts']
    """
    from ..models import get_contract

    names = [*default_baselines(paradigm), *(f"fm-{get_contract(m).name}" for m in models)]
    return {
        name: make_named_pipeline(name, weights=weights, fast=fast, channel_policy=channel_policy)
        for name in names
    }
