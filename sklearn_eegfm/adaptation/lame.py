"""LAME: Laplacian-adjusted maximum-likelihood estimation of the target predictions."""

from __future__ import annotations

import numpy as np
from sklearn.utils.extmath import softmax

from .._validation import check_positive
from ._base import BaseAdapter, features_of


class LAMEAdapter(BaseAdapter):
    """Smooth the source model's predictions over the target domain's neighbourhood graph.

    LAME [1]_ trains nothing: it keeps the network and corrects only its outputs,
    finding assignments ``Z`` close (in KL) to the predicted probabilities while
    neighbours in embedding space (a k-nearest-neighbour graph on L2-normalised
    features) share labels. The fixed-point iteration is
    ``Z <- softmax(log P + A Z)``, stopped when the energy changes by less than
    ``1e-8`` (relative) or after ``max_iter`` steps.

    Works on any estimator with ``predict_proba`` and an embedding (package estimators
    with ``adaptation_features``, or scikit-learn pipelines).

    Parameters
    ----------
    estimator : estimator
        The classifier to adapt.
    knn : int
        Neighbours per epoch in the affinity graph (paper: 5).
    max_iter : int
        Most fixed-point iterations (paper: 100).
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter` (LAME is stateless:
        ``episodic`` has no effect).

    Attributes
    ----------
    estimator_, classes_, adaptation_report_ :
        As in :class:`TENTAdapter`; ``steps`` counts the iterations.

    References
    ----------
    .. [1] Boudiaf, M., Mueller, R., Ben Ayed, I. & Bertinetto, L. (2022).
       Parameter-free online test-time adaptation. CVPR.

    Examples
    --------
    >>> from sklearn_eegfm import LAMEAdapter, make_riemannian_pipeline
    >>> lame = LAMEAdapter(make_riemannian_pipeline("erp"), domain="subject")
    """

    _needs_features = True

    def __init__(
        self,
        estimator,
        *,
        knn=5,
        max_iter=100,
        domain=None,
        episodic=True,
        min_epochs=8,
        collapse="warn",
        random_state=None,
    ):
        super().__init__(
            estimator,
            domain=domain,
            episodic=episodic,
            min_epochs=min_epochs,
            collapse=collapse,
            random_state=random_state,
        )
        self.knn = knn
        self.max_iter = max_iter

    def _check_params(self):
        super()._check_params()
        check_positive("knn", self.knn, integer=True)
        check_positive("max_iter", self.max_iter, integer=True)

    def _check_before_fit(self, estimator, X):
        super()._check_before_fit(estimator, X)
        self._check_source(estimator)

    def _check_source(self, estimator):
        super()._check_source(estimator)
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(
                f"LAMEAdapter needs predict_proba; {type(estimator).__name__} has none."
            )

    def _adapt(self, Xd, rng, state):
        P = np.clip(np.asarray(self.estimator_.predict_proba(Xd), np.float64), 1e-12, 1.0)
        F = features_of(self.estimator_, Xd)
        F = F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)
        sim = F @ F.T
        np.fill_diagonal(sim, -np.inf)
        k = min(self.knn, len(F) - 1)
        nn = np.argsort(-sim, axis=1, kind="stable")[:, :k]
        A = np.zeros_like(sim)
        np.put_along_axis(A, nn, 1.0, axis=1)
        log_p = np.log(P)
        Z, energy, steps = P, None, 0
        for steps in range(1, self.max_iter + 1):  # noqa: B007  (steps is reported)
            E = log_p + A @ Z
            Z = softmax(E, copy=False)
            new = float((Z * np.log(np.clip(Z, 1e-12, 1)) - Z * log_p).sum() - (Z * (A @ Z)).sum())
            if energy is not None and abs(new - energy) <= 1e-8 * abs(energy):
                break
            energy = new
        report = {"steps": steps, "n_kept": len(F)}
        return np.log(np.clip(Z, 1e-12, 1.0)), report, None
