"""RidgeProbe: a frozen foundation model with a closed-form ridge head."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import RidgeClassifierCV
from sklearn.utils.extmath import softmax

from .._data import EpochsInputMixin
from ..utils._docs import fill_doc
from .probe import _FrozenHeadMixin, fit_frozen_embedder


@fill_doc
class RidgeProbe(_FrozenHeadMixin, EpochsInputMixin, ClassifierMixin, BaseEstimator):
    """Classify EEG epochs with a frozen foundation model and a closed-form ridge head.

    The tuning-free baseline of Open EEG Bench: standardised embeddings of the frozen
    backbone, then ridge regression on one-hot targets with the penalty chosen by
    efficient leave-one-out cross-validation over ``alphas`` (one SVD, no iterative
    solver, no learning rate). Embeddings are cached as in :class:`LinearProbe`.

    Parameters
    ----------
    %(model)s
    %(weights)s
    %(pooling)s
    %(channel_policy)s
    %(length_policy)s
    alphas : sequence of float
        Ridge penalties tried (leave-one-out, closed form).
    class_weight : dict | "balanced" | None
        Class weights of the ridge fit.
    %(batch_size)s
    %(device)s
    %(dtype)s
    cache : "memory" | str | Path | EmbeddingCache | None
        Embedding cache, as in :class:`FMEmbedder`.
    %(network_cache)s
    %(random_state)s
    %(sfreq)s
    %(ch_names)s
    %(units)s
    %(verbose)s

    Attributes
    ----------
    embedder_ : FMEmbedder
        The fitted embedder (frozen, shared network).
    scaler_ : StandardScaler
        Standardisation of the embeddings.
    head_ : sklearn.linear_model.RidgeClassifierCV
        The ridge head; ``head_.alpha_`` is the penalty chosen.
    classes_ : ndarray
        Class labels.
    pretrained_ : bool
        False when the backbone is randomly initialised.
    strategy_ : str
        ``"ridge"``.
    n_trainable_params_ : int
        Coefficients of the head.

    See Also
    --------
    LinearProbe : the same frozen embedding with a logistic head.
    FMClassifier : fine-tuning.

    Examples
    --------
    >>> from sklearn_eegfm import RidgeProbe
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo(tmax=1.0)
    >>> y = epochs.metadata["label"].to_numpy()
    >>> probe = RidgeProbe("cbramod", weights=None)
    >>> probe.fit(epochs[:60], y[:60]).predict(epochs[60:63]).shape  # doctest: +SKIP
    (3,)
    """

    def __init__(
        self,
        model="cbramod",
        *,
        weights="auto",
        pooling="auto",
        channel_policy="auto",
        length_policy="auto",
        alphas=(0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0),
        class_weight=None,
        batch_size=64,
        device="cpu",
        dtype="float32",
        cache="memory",
        network_cache="shared",
        random_state=None,
        sfreq=None,
        ch_names=None,
        units=None,
        verbose=None,
    ):
        self.model = model
        self.weights = weights
        self.pooling = pooling
        self.channel_policy = channel_policy
        self.length_policy = length_policy
        self.alphas = alphas
        self.class_weight = class_weight
        self.batch_size = batch_size
        self.device = device
        self.dtype = dtype
        self.cache = cache
        self.network_cache = network_cache
        self.random_state = random_state
        self.sfreq = sfreq
        self.ch_names = ch_names
        self.units = units
        self.verbose = verbose

    def fit(self, X, y):
        """Embed ``X`` with the frozen model and solve the ridge head.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Training epochs.
        y : array-like, shape (n_epochs,)
            Labels.

        Returns
        -------
        self : RidgeProbe
            The fitted probe.
        """
        alphas = np.atleast_1d(np.asarray(self.alphas, dtype=float))
        if alphas.size == 0 or not (alphas > 0).all():
            raise ValueError(f"alphas must be positive numbers; got {self.alphas!r}.")
        y, Z = fit_frozen_embedder(self, X, y, min_classes=2)
        self.head_ = RidgeClassifierCV(alphas=alphas, class_weight=self.class_weight).fit(
            Z.astype(np.float64), y
        )
        self.classes_ = self.head_.classes_
        self.strategy_ = "ridge"
        self.n_trainable_params_ = int(self.head_.coef_.size + np.size(self.head_.intercept_))
        return self

    def _features(self, X):
        # The ridge head was solved in float64 (fit): score in float64 too.
        return super()._features(X).astype(np.float64)

    def predict_proba(self, X):
        """Scores squashed into [0, 1] (ranking metrics such as ROC AUC; not calibrated).

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray
            Epochs.

        Returns
        -------
        proba : ndarray, shape (n_epochs, n_classes)
            Softmax of the ridge scores (logistic of the score when binary), columns in
            the order of ``classes_``; monotone in ``decision_function``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            scores = np.column_stack([-scores, scores])
        return softmax(scores)
