"""Riemannian and CSP reference pipelines as Python factories.

Every pipeline starts with :class:`EpochsToArray` (Epochs -> float64 microvolts through
the package's input layer) and :class:`CheckTrainingData` (named errors where pyRiemann
or MNE would silently mishandle the data), then the usual pyRiemann / MNE steps. The
covariance estimators default to OAS shrinkage so that rank-deficient data (after an
average reference or ICA) stay positive definite.
"""

from __future__ import annotations

import inspect

from sklearn.pipeline import make_pipeline

from .._validation import check_option
from ..utils._docs import fill_doc
from ._array_steps import CheckTrainingData, EpochsToArray


def _tangent_space_logistic(C, class_weight, max_iter):
    """Return the tangent space and logistic regression that end both reference pipelines."""
    from pyriemann.tangentspace import TangentSpace
    from sklearn.linear_model import LogisticRegression

    return [
        TangentSpace(metric="riemann"),
        LogisticRegression(C=C, class_weight=class_weight, max_iter=max_iter),
    ]


def _front(sfreq, ch_names, units, *, min_channels=1, needed_by):
    return [
        EpochsToArray(sfreq=sfreq, ch_names=ch_names, units=units),
        CheckTrainingData(min_channels=min_channels, needed_by=needed_by),
    ]


@fill_doc
def xdawn_tangent_space(
    *,
    nfilter=2,
    estimator="oas",
    xdawn_estimator="oas",
    C=1.0,
    class_weight=None,
    max_iter=1000,
    sfreq=None,
    ch_names=None,
    units=None,
):
    """Build Xdawn covariances + tangent space + logistic regression: the ERP reference.

    Parameters
    ----------
    nfilter : int
        Xdawn spatial filters per class; the data need at least this many channels.
    estimator : str
        Covariance estimator of the super-trials (pyRiemann name, e.g. ``"oas"``).
    xdawn_estimator : str
        Covariance estimator inside Xdawn; shrinkage keeps rank-deficient data usable.
    %(logistic)s
    %(input)s

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``EpochsToArray -> CheckTrainingData -> XdawnCovariances -> TangentSpace ->
        LogisticRegression``.

    References
    ----------
    .. [1] Barachant, A. & Congedo, M. (2014). A plug&play P300 BCI using information
       geometry. arXiv:1409.0107.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn_eegfm.baselines import xdawn_tangent_space
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()
    >>> y = epochs.metadata["target"].to_numpy()
    >>> scores = cross_val_score(xdawn_tangent_space(), epochs, y, scoring="roc_auc")
    """
    from pyriemann.estimation import XdawnCovariances

    return make_pipeline(
        *_front(
            sfreq,
            ch_names,
            units,
            min_channels=nfilter,
            needed_by=f"XdawnCovariances(nfilter={nfilter})",
        ),
        XdawnCovariances(nfilter=nfilter, estimator=estimator, xdawn_estimator=xdawn_estimator),
        *_tangent_space_logistic(C, class_weight, max_iter),
    )


@fill_doc
def erp_mdm(*, estimator="oas", metric="riemann", sfreq=None, ch_names=None, units=None):
    """Build ERP covariances + minimum distance to mean: a calibration-light ERP reference.

    Parameters
    ----------
    estimator : str
        Covariance estimator of the super-trials (pyRiemann name).
    metric : str
        Riemannian metric of :class:`pyriemann.classification.MDM`.
    %(input)s

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``EpochsToArray -> CheckTrainingData -> ERPCovariances -> MDM``.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import erp_mdm
    >>> erp_mdm().steps[-1][0]
    'mdm'
    """
    from pyriemann.classification import MDM
    from pyriemann.estimation import ERPCovariances

    return make_pipeline(
        *_front(sfreq, ch_names, units, needed_by="ERPCovariances + MDM"),
        ERPCovariances(estimator=estimator),
        MDM(metric=metric),
    )


@fill_doc
def covariance_tangent_space(
    *,
    estimator="oas",
    C=1.0,
    class_weight=None,
    max_iter=1000,
    sfreq=None,
    ch_names=None,
    units=None,
):
    """Build covariances + tangent space + logistic regression: the oscillatory reference.

    Parameters
    ----------
    estimator : str
        Covariance estimator (pyRiemann name).
    %(logistic)s
    %(input)s

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``EpochsToArray -> CheckTrainingData -> Covariances -> TangentSpace ->
        LogisticRegression``.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import covariance_tangent_space
    >>> [name for name, _ in covariance_tangent_space().steps][2:]
    ['covariances', 'tangentspace', 'logisticregression']
    """
    from pyriemann.estimation import Covariances

    return make_pipeline(
        *_front(sfreq, ch_names, units, needed_by="Covariances + TangentSpace"),
        Covariances(estimator=estimator),
        *_tangent_space_logistic(C, class_weight, max_iter),
    )


@fill_doc
def csp_lda(*, n_components=4, reg="oas", log=True, sfreq=None, ch_names=None, units=None):
    """Build common spatial patterns + linear discriminant analysis: the classic MI reference.

    Parameters
    ----------
    n_components : int
        CSP components kept; the data need at least this many channels.
    reg : float | str | None
        Covariance regularisation of :class:`mne.decoding.CSP` (``"oas"`` shrinkage).
    log : bool
        Log-variance features.
    %(input)s

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        ``EpochsToArray -> CheckTrainingData -> CSP -> LinearDiscriminantAnalysis``.

    Notes
    -----
    MNE logs each CSP fit at the ``info`` level; ``mne.set_log_level("warning")``
    silences it.

    Examples
    --------
    >>> from sklearn_eegfm.baselines import csp_lda
    >>> csp_lda(n_components=6).steps[2][1].n_components
    6
    """
    from mne.decoding import CSP
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    return make_pipeline(
        *_front(
            sfreq,
            ch_names,
            units,
            min_channels=n_components,
            needed_by=f"CSP(n_components={n_components})",
        ),
        CSP(n_components=n_components, reg=reg, log=log),
        LinearDiscriminantAnalysis(),
    )


# kind -> factory. One table, so that docs and tests enumerate the same kinds.
PIPELINES = {
    "erp": xdawn_tangent_space,
    "erp-mdm": erp_mdm,
    "mi": covariance_tangent_space,
    "csp": csp_lda,
}


def make_riemannian_pipeline(kind, **kwargs):
    """Build a reference pipeline by name.

    Parameters
    ----------
    kind : "erp" | "erp-mdm" | "mi" | "csp"
        ``"erp"``: :func:`xdawn_tangent_space`; ``"erp-mdm"``: :func:`erp_mdm`;
        ``"mi"``: :func:`covariance_tangent_space`; ``"csp"``: :func:`csp_lda`.
    **kwargs
        Keyword arguments of that factory (e.g. ``nfilter=4``, ``units="uV"``).

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        An unfitted pipeline taking Epochs, lists of Epochs or described arrays.

    See Also
    --------
    sklearn_eegfm.make_riemannian_pipeline : the same, with each domain recentred first
        (``recenter=True``: an adaptation step, which this package does not import).

    Examples
    --------
    >>> from sklearn_eegfm.baselines import make_riemannian_pipeline
    >>> pipe = make_riemannian_pipeline("erp", nfilter=2)
    >>> [name for name, _ in pipe.steps]  # doctest: +NORMALIZE_WHITESPACE
    ['epochstoarray', 'checktrainingdata', 'xdawncovariances', 'tangentspace',
     'logisticregression']
    """
    check_option("kind", kind, tuple(PIPELINES))
    factory = PIPELINES[kind]
    accepted = list(inspect.signature(factory).parameters)
    unknown = sorted(set(kwargs) - set(accepted))
    if {"recenter", "domain", "stretch"} & set(unknown):
        raise TypeError(
            "Recentering is a domain adaptation step: use "
            "sklearn_eegfm.make_riemannian_pipeline(kind, recenter=True, ...), which puts "
            "RiemannianRecentering in front of this pipeline."
        )
    if unknown:
        raise TypeError(
            f"make_riemannian_pipeline(kind={kind!r}) got unexpected arguments {unknown}; "
            f"{factory.__name__} accepts {accepted}."
        )
    return factory(**kwargs)
