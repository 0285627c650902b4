"""T3A: test-time template adjustment of a linear classifier's class prototypes."""

from __future__ import annotations

import numpy as np
from sklearn.utils.extmath import softmax

from .._validation import check_positive
from ._base import BaseAdapter, features_of, proba_entropy
from ._heads import linear_head
from ._torch import batches


def _normalise(A):
    return A / np.maximum(np.linalg.norm(A, axis=-1, keepdims=True), 1e-12)


class T3AAdapter(BaseAdapter):
    """Replace the linear head by prototypes built from confident target embeddings.

    T3A [1]_ needs no gradient: it starts from the class weight vectors of the final
    linear layer as supports, adds every target embedding to the supports of its
    pseudo-label, keeps per class the ``filter_k`` supports of lowest prediction
    proba_entropy, and classifies by the dot product with the normalised mean of each
    class's normalised supports. Batches are processed online (each batch is
    predicted after its own embeddings joined the supports, as in the authors' code).

    Works on any estimator with an embedding and a linear final layer: package
    estimators (``adaptation_features`` plus ``adaptation_module().classifier``) and
    scikit-learn pipelines ending in a linear model (e.g. ``xdawn+ts``).

    Parameters
    ----------
    estimator : estimator
        The classifier to adapt.
    filter_k : int | None
        Supports kept per class (the paper searches {1, 5, 20, 50, 100, all}; default
        100). None keeps them all.
    batch_size : int
        Test epochs per online update.
    domain, episodic, min_epochs, collapse, random_state :
        See :class:`~sklearn_eegfm.adaptation.BaseAdapter`.

    Attributes
    ----------
    estimator_, classes_, adaptation_report_, continual_state_ :
        As in :class:`TENTAdapter`; ``n_kept`` is the number of supports kept.

    References
    ----------
    .. [1] Iwasawa, Y. & Matsuo, Y. (2021). Test-time classifier adjustment module for
       model-agnostic domain generalization. NeurIPS.

    Examples
    --------
    >>> from sklearn_eegfm import T3AAdapter, make_riemannian_pipeline
    >>> t3a = T3AAdapter(make_riemannian_pipeline("erp"), domain="subject")
    """

    _needs_features = True

    def __init__(
        self,
        estimator,
        *,
        filter_k=100,
        batch_size=64,
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
        self.filter_k = filter_k
        self.batch_size = batch_size

    def _check_params(self):
        super()._check_params()
        check_positive("batch_size", self.batch_size, integer=True)
        if self.filter_k is not None:
            check_positive("filter_k", self.filter_k, integer=True)

    def _check_source(self, estimator):
        super()._check_source(estimator)
        linear_head(estimator, len(estimator.classes_))

    def _adapt(self, Xd, rng, state):
        W, b = linear_head(self.estimator_, len(self.classes_))
        Z = features_of(self.estimator_, Xd)
        if state is None:
            supports = W
            labels = np.argmax(supports @ W.T + b, axis=1)
            ent = proba_entropy(softmax(supports @ W.T + b))
        else:
            supports, labels, ent = state
        out = np.empty((len(Z), len(W)))
        for sl in batches(len(Z), self.batch_size):
            z = Z[sl]
            logits = z @ W.T + b
            supports = np.vstack([supports, z])
            labels = np.r_[labels, logits.argmax(1)]
            ent = np.r_[ent, proba_entropy(softmax(logits))]
            supports, labels, ent = self._select(supports, labels, ent)
            protos = np.zeros((len(W), Z.shape[1]))
            for c in range(len(W)):
                protos[c] = _normalise(supports[labels == c]).sum(axis=0)
            out[sl] = z @ _normalise(protos).T
        report = {"steps": 0, "n_kept": int(len(supports))}
        return out, report, (supports, labels, ent)

    def _select(self, supports, labels, ent):
        if self.filter_k is None:
            return supports, labels, ent
        keep = []
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            keep.extend(idx[np.argsort(ent[idx], kind="stable")][: self.filter_k])
        keep = np.sort(keep)
        return supports[keep], labels[keep], ent[keep]
