"""The test-time adaptation meta-estimator: fit on the source, adapt per target domain.

Every adapter of the package subclasses :class:`BaseAdapter`. ``fit`` fits a clone of the
wrapped estimator on labelled source data; ``predict``/``predict_proba``/
``decision_function`` split the unlabelled test epochs into domains (a metadata column,
``groups``, or the whole batch), adapt a copy of the source model on each domain and
predict it. The fitted source model is never modified.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.extmath import softmax
from sklearn.utils.validation import check_is_fitted

from .._adaptable import AdaptableFeatures, AdaptableNetwork
from .._data import as_indexable, domain_labels, metadata_of, n_epochs_of  # noqa: F401
from .._validation import check_option, check_positive, check_y_given


class AdaptationSkippedWarning(UserWarning):
    """A target domain was too small to adapt on: the source model predicted it."""


class AdaptationCollapseWarning(UserWarning):
    """Adapted predictions fell to one class where the source model predicted several."""


def _check_finite(X):
    data = getattr(X, "data", X)
    if isinstance(data, np.ndarray) and data.dtype.kind in "fc" and not np.isfinite(data).all():
        raise ValueError(
            "X contains NaN or infinite values; adaptation statistics would be NaN. Drop "
            "those epochs (epochs.drop(indices)) or repair the channels first."
        )


def proba_entropy(proba):
    """Shannon entropy (nats) of each row of ``proba``."""
    p = np.clip(proba, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=1)


def warn_small_domain(owner, domain, n_epochs, consequence, *, stacklevel):
    """Warn that ``domain`` has fewer than ``owner.min_epochs`` epochs, and what follows.

    Parameters
    ----------
    owner : estimator
        The adapter or alignment, with a ``min_epochs`` parameter.
    domain : object
        The domain's label.
    n_epochs : int
        Its epochs.
    consequence : str
        What is done instead of adapting it, e.g. "it is not shifted".
    stacklevel : int
        What the caller would pass to :func:`warnings.warn` (pointing at the user's call).
    """
    warnings.warn(
        f"{type(owner).__name__}: domain {domain!r} has {n_epochs} epoch(s), fewer than "
        f"min_epochs={owner.min_epochs}; {consequence}.",
        AdaptationSkippedWarning,
        stacklevel=stacklevel + 1,
    )


class BaseAdapter(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Base class of the test-time adapters (not for direct use).

    Subclasses implement ``_check_source(estimator)`` (raise when the fitted estimator
    lacks what the method needs) and ``_adapt(X, rng, state)`` returning the adapted
    logits of one domain, a report dict and the adapted state (for
    ``episodic=False``).

    Parameters
    ----------
    estimator : estimator
        The classifier to adapt (cloned and fitted on the source data in ``fit``).
    domain : str | None
        Metadata column giving each test epoch's domain (``"subject"``, ``"session"``).
        ``groups=`` passed to ``predict`` (directly or through metadata routing) wins;
        with neither, the whole batch is one domain.
    episodic : bool
        True (default): every domain starts from the fitted source model. False:
        adaptation continues from the previous domain and the previous call
        (continual TTA); the adapted state is kept in ``continual_state_`` and the
        results depend on the order of the domains and of the calls.
    min_epochs : int
        Domains with fewer epochs are not adapted (the source model predicts them),
        with an :class:`AdaptationSkippedWarning` and ``skipped`` in the report.
    collapse : "warn" | "rollback"
        When adapted predictions fall to one class on a domain where the source model
        predicted several: warn, record ``collapsed`` in the report, and return the
        adapted predictions (``"warn"``) or the source model's (``"rollback"``). On rare
        targets (P300) the adapted argmax may legitimately be one class while the
        probabilities still rank the epochs well, hence ``"warn"`` by default.
    random_state : int | None
        Seeds everything random in the adaptation (shuffles, initialisation).

    Notes
    -----
    ``adaptation_report_`` (one entry per domain: epochs, entropy before and after,
    skipped, collapsed, time) describes the last ``predict``/``predict_proba``/
    ``decision_function`` call only. It is the one attribute that prediction writes: a
    new dict per call, replaced rather than updated, so that no domain of an earlier
    call lingers; the fitted source model and every other fitted attribute stay as
    ``fit`` left them.
    """

    _needs_network = False
    _needs_features = False  # reads the embedding fed to the final linear layer

    def __init__(
        self,
        estimator,
        *,
        domain=None,
        episodic=True,
        min_epochs=8,
        collapse="warn",
        random_state=None,
    ):
        self.estimator = estimator
        self.domain = domain
        self.episodic = episodic
        self.min_epochs = min_epochs
        self.collapse = collapse
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def _check_params(self):
        check_positive("min_epochs", self.min_epochs, integer=True)
        if self.min_epochs < 2:
            raise ValueError(
                f"min_epochs must be an integer >= 2 (adapting on a single epoch is "
                f"meaningless); got {self.min_epochs!r}."
            )
        check_option("collapse", self.collapse, ("warn", "rollback"))
        if self.domain is not None and not isinstance(self.domain, str):
            raise ValueError(
                f"domain must be a metadata column name or None; got {self.domain!r}."
            )

    def fit(self, X, y, **fit_params):
        """Fit a clone of the estimator on labelled source epochs.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Source epochs.
        y : array-like, shape (n_epochs,)
            Source labels.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : BaseAdapter
            The fitted adapter.
        """
        self._check_params()
        check_y_given(self, y)
        # Checked before the (possibly long) source training, not first at predict.
        self._check_before_fit(self.estimator, X)
        if self.domain is not None and metadata_of(X) is not None:
            domain_labels(X, self.domain)  # the column exists and names every epoch
        estimator = clone(self.estimator).fit(X, y, **fit_params)
        self._check_source(estimator)
        self.estimator_ = estimator
        self.classes_ = estimator.classes_
        if hasattr(estimator, "n_features_in_"):
            self.n_features_in_ = estimator.n_features_in_
        self.adaptation_report_ = {}
        self.continual_state_ = None
        return self

    def _check_before_fit(self, estimator, X):
        """Refuse an estimator the method cannot adapt, before any training."""
        self._check_network(estimator)
        if self._needs_features and not has_features(estimator):
            raise_no_features(estimator)

    def _check_source(self, estimator):
        self._check_network(estimator)

    def _check_network(self, estimator):
        if self._needs_network and adaptable_view(estimator) is None:
            raise TypeError(
                f"{type(self).__name__} adapts a torch network, but "
                f"{type(estimator).__name__} exposes none (no adaptation_module()). Wrap a "
                "LinearProbe, SpecialistClassifier or FMClassifier; for scikit-learn "
                "pipelines use T3AAdapter, LAMEAdapter or EuclideanAlignment."
            )

    # -------------------------------------------------------------- predict
    def _logits(self, X, groups, y):
        check_is_fitted(self)
        if y is not None:
            raise ValueError(
                "Labels were passed to predict: test-time adaptation is unsupervised and "
                "must never see target labels. Call predict(X) (with groups=... for domains)."
            )
        domains = domain_labels(X, self.domain, groups)
        if groups is not None:
            values = set(np.unique(domains).tolist())
            if len(values) > 1 and values == set(self.classes_.tolist()):
                raise ValueError(
                    f"groups= holds exactly the class labels {sorted(values)}: looks like "
                    "labels passed as domains, which would leak them into adaptation. "
                    "Pass each epoch's subject or session (rename them, e.g. 'sub-1', if "
                    "they really coincide with the class names)."
                )
        X = as_indexable(X)
        _check_finite(X)
        # The report describes this call only (a new dict, not one updated in place).
        self.adaptation_report_ = {}
        rng = check_random_state(self.random_state)
        out = None
        for d in dict.fromkeys(domains.tolist()):
            idx = np.flatnonzero(domains == d)
            seed = int(rng.randint(np.iinfo(np.int32).max))
            logits = self._predict_domain(_take(X, idx), d, seed)
            if out is None:
                out = np.empty((len(domains), logits.shape[1]), dtype=np.float64)
            out[idx] = logits
        return out

    def _predict_domain(self, Xd, d, seed):
        n = n_epochs_of(Xd)
        t0 = time.perf_counter()
        source = self._source_logits(Xd)
        report = {"n_epochs": n, "skipped": False, "collapsed": False}
        report["entropy_before"] = float(proba_entropy(softmax(source)).mean())
        if n < self.min_epochs:
            consequence = "it is predicted by the source model without adaptation"
            warn_small_domain(self, d, n, consequence, stacklevel=4)
            report.update(skipped=True, entropy_after=report["entropy_before"])
            report["time"] = time.perf_counter() - t0
            self.adaptation_report_[d] = report
            return source
        import torch

        state = None if self.episodic else self.continual_state_
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            logits, extra, state = self._adapt(Xd, np.random.RandomState(seed), state)
        if not self.episodic:
            self.continual_state_ = state
        report.update(extra)
        report["entropy_after"] = float(proba_entropy(softmax(logits)).mean())
        n_source = len(np.unique(source.argmax(1)))
        if n_source > 1 and len(np.unique(logits.argmax(1))) == 1:
            report["collapsed"] = True
            action = (
                "the source predictions are returned"
                if self.collapse == "rollback"
                else "the adapted ones are kept (collapse='warn')"
            )
            warnings.warn(
                f"{type(self).__name__}: on domain {d!r} the adapted model predicts a single "
                f"class where the source model predicted {n_source}; {action}.",
                AdaptationCollapseWarning,
                stacklevel=4,
            )
            if self.collapse == "rollback":
                logits = source
        report["time"] = time.perf_counter() - t0
        self.adaptation_report_[d] = report
        return logits

    def _source_logits(self, Xd):
        """Log-probabilities of the unadapted source model (softmax gives them back)."""
        proba = self.estimator_.predict_proba(Xd)
        return np.log(np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1.0))

    def predict_proba(self, X, groups=None, *, y=None):
        """Adapt per domain on ``X`` (no labels), then return class probabilities.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Unlabelled target epochs.
        groups : array-like | None
            Domain of each epoch; overrides the ``domain`` column. Request it through
            metadata routing with ``set_predict_proba_request(groups=True)``.
        y : None
            Must stay None: labels are refused.

        Returns
        -------
        proba : ndarray, shape (n_epochs, n_classes)
            Columns in the order of ``classes_``.
        """
        return softmax(self._logits(X, groups, y))

    def decision_function(self, X, groups=None, *, y=None):
        """Adapted decision values (logits, or log-probabilities for scikit-learn models).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Unlabelled target epochs.
        groups : array-like | None
            Domain of each epoch (see :meth:`predict_proba`).
        y : None
            Must stay None.

        Returns
        -------
        scores : ndarray, shape (n_epochs,) or (n_epochs, n_classes)
            For two classes, the score of ``classes_[1]`` minus that of ``classes_[0]``.
        """
        logits = self._logits(X, groups, y)
        return logits[:, 1] - logits[:, 0] if logits.shape[1] == 2 else logits

    def predict(self, X, groups=None, *, y=None):
        """Adapt per domain on ``X`` (no labels), then predict labels.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Unlabelled target epochs.
        groups : array-like | None
            Domain of each epoch (see :meth:`predict_proba`).
        y : None
            Must stay None.

        Returns
        -------
        y_pred : ndarray, shape (n_epochs,)
            Labels from ``classes_``.
        """
        logits = self._logits(X, groups, y)  # first: it raises NotFittedError when unfitted
        return self.classes_[logits.argmax(axis=1)]

    def __sklearn_is_fitted__(self):
        return "estimator_" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The input is the wrapped estimator's: 3-D epochs or a 2-D table.
        inner = get_tags(self.estimator).input_tags
        tags.input_tags.three_d_array = inner.three_d_array
        tags.input_tags.two_d_array = inner.two_d_array
        tags.input_tags.allow_nan = False
        tags.non_deterministic = False
        return tags


def _take(X, idx):
    if isinstance(X, list | tuple):
        return [X[i] for i in idx]
    return X[idx]


def network_logits(module, x, batch_size=256):
    """Logits of a torch module in eval mode, without gradients, as float64 numpy."""
    import torch

    module.eval()
    with torch.no_grad():
        return np.concatenate(
            [module(x[s : s + batch_size]).double().numpy() for s in range(0, len(x), batch_size)]
        )


def features_of(estimator, X):
    """Return the embedding that a fitted estimator's final linear layer reads.

    Parameters
    ----------
    estimator : estimator
        A package estimator with ``adaptation_features`` or a scikit-learn Pipeline.
    X : epochs
        Epochs.

    Returns
    -------
    features : ndarray, shape (n_epochs, n_features)
        The features.
    """
    owner = adaptable_view(estimator)
    if owner is None and isinstance(estimator, AdaptableFeatures):
        owner = estimator  # features without a torch network (RidgeProbe)
    if owner is not None:
        return np.asarray(owner.adaptation_features(X), dtype=np.float64)
    if hasattr(estimator, "steps") and len(estimator.steps) > 1:
        Z = estimator[:-1].transform(X)
        return np.asarray(Z, dtype=np.float64).reshape(len(Z), -1)
    raise_no_features(estimator)


def has_features(estimator):
    """Whether :func:`features_of` can read ``estimator``'s embedding (fitted or not)."""
    steps = getattr(estimator, "steps", None)
    final = steps[-1][1] if steps else estimator
    return hasattr(final, "adaptation_features") or bool(steps and len(steps) > 1)


def raise_no_features(estimator):
    """Raise the TypeError of an estimator that exposes no embedding."""
    raise TypeError(
        f"{type(estimator).__name__} exposes no embedding: feature-based adapters need "
        "adaptation_features() (LinearProbe, SpecialistClassifier, FMClassifier) or a "
        "scikit-learn Pipeline whose last step is the classifier."
    )


class _PipelineView:
    """The adaptation interface of a Pipeline whose last step implements it.

    The earlier steps (an alignment, say) transform the epochs first, so that
    ``eegnet+ea+tent`` adapts the network on aligned input.
    """

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.final = pipeline[-1]

    def adaptation_input(self, X):
        return self.final.adaptation_input(self.pipeline[:-1].transform(X))

    def adaptation_module(self):
        return self.final.adaptation_module()

    def adaptation_features(self, X):
        return self.final.adaptation_features(self.pipeline[:-1].transform(X))


def adaptable_view(estimator):
    """Return what implements the adaptation interface for ``estimator``, or None.

    Parameters
    ----------
    estimator : estimator
        A fitted estimator.

    Returns
    -------
    owner : AdaptableNetwork | None
        The estimator itself when it is an
        :class:`~sklearn_eegfm._adaptable.AdaptableNetwork`, a view of a Pipeline
        whose last step is one (earlier steps applied to the input), else None.
    """
    if isinstance(estimator, AdaptableNetwork):
        return estimator
    steps = getattr(estimator, "steps", None)
    if steps and isinstance(steps[-1][1], AdaptableNetwork):
        return _PipelineView(estimator)
    return None
