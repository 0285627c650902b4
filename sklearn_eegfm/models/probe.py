"""LinearProbe: a frozen foundation model with a standardised logistic head."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from .._adaptable import AdaptableNetworkMixin
from .._data import EpochsInputMixin, n_epochs_of
from .._validation import check_labels, check_one_label_per_epoch
from ..utils._docs import fill_doc
from .embedder import FMEmbedder, PlannedNetworkMixin


class _FrozenHeadMixin(PlannedNetworkMixin):
    """Predictions of a fitted ``head_`` on a probe's standardised frozen embeddings.

    Shared by :class:`LinearProbe` and :class:`RidgeProbe`, whose ``fit`` sets
    ``embedder_``, ``scaler_`` (:func:`fit_frozen_embedder`) and ``head_``.
    """

    def _features(self, X):
        check_is_fitted(self)
        return self.scaler_.transform(self.embedder_.transform(X))

    def decision_function(self, X):
        """Scores of the linear head.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs.

        Returns
        -------
        scores : ndarray, shape (n_epochs,) or (n_epochs, n_classes)
            Decision values.
        """
        Z = self._features(X)  # first: NotFittedError before head_ is read
        return self.head_.decision_function(Z)

    def predict(self, X):
        """Predicted labels.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs.

        Returns
        -------
        y_pred : ndarray, shape (n_epochs,)
            Labels from ``classes_``.
        """
        Z = self._features(X)
        return self.head_.predict(Z)

    def adaptation_features(self, X):
        """Standardised embeddings, the input of the linear head.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs.

        Returns
        -------
        features : ndarray, shape (n_epochs, n_features)
            The head's input (for the optimisation-free test-time adapters).
        """
        return self._features(X)

    def __sklearn_is_fitted__(self):
        return "head_" in self.__dict__


@fill_doc
class LinearProbe(
    _FrozenHeadMixin, AdaptableNetworkMixin, EpochsInputMixin, ClassifierMixin, BaseEstimator
):
    """Classify EEG epochs with a frozen foundation model and a linear head.

    The backbone stays in eval mode with ``requires_grad=False`` (no dropout, nothing
    trains); its pooled embedding is standardised and fed to an L2-regularised logistic
    regression. Embeddings are cached, so a grid search over ``C`` embeds each epoch once.

    Parameters
    ----------
    %(model)s
    %(weights)s
    %(pooling)s
    %(channel_policy)s
    %(length_policy)s
    C : float
        Inverse regularisation strength of the logistic head.
    class_weight : dict | "balanced" | None
        Class weights of the head (``"balanced"`` for rare targets such as P300).
    max_iter : int
        Iterations of the head's solver.
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
        The fitted embedder.
    scaler_ : StandardScaler
        Standardisation of the embeddings.
    head_ : LogisticRegression
        The fitted head.
    classes_ : ndarray
        Class labels.
    pretrained_ : bool
        False when the backbone is randomly initialised.
    module_ : torch.nn.Module
        The whole classifier as one torch module (backbone, standardisation, head),
        mapping prepared input to logits, for test-time adaptation.

    See Also
    --------
    FMEmbedder : the embedding step alone.

    Examples
    --------
    >>> from sklearn_eegfm import LinearProbe
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()
    >>> y = epochs.metadata["target"].to_numpy()
    >>> probe = LinearProbe("labram", weights=None, class_weight="balanced")
    >>> probe.fit(epochs[:60], y[:60]).predict_proba(epochs[60:80]).shape  # doctest: +SKIP
    (20, 2)
    """

    def __init__(
        self,
        model="cbramod",
        *,
        weights="auto",
        pooling="auto",
        channel_policy="auto",
        length_policy="auto",
        C=1.0,
        class_weight=None,
        max_iter=1000,
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
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
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
        """Embed ``X`` with the frozen model and fit the standardised logistic head.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Training epochs.
        y : array-like, shape (n_epochs,)
            Labels.

        Returns
        -------
        self : LinearProbe
            The fitted probe.
        """
        y, Z = fit_frozen_embedder(self, X, y)
        self.head_ = LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter
        ).fit(Z, y)
        self.classes_ = self.head_.classes_
        return self

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray
            Epochs.

        Returns
        -------
        proba : ndarray, shape (n_epochs, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        Z = self._features(X)
        return self.head_.predict_proba(Z)

    @property
    def module_(self):
        """The probe as one torch module: prepared input -> logits (see class docs)."""
        return self.make_module()

    def make_module(self, network=None):
        """Build the probe as a torch module around a given copy of the network.

        Parameters
        ----------
        network : torch.nn.Module | None
            A copy of the backbone (e.g. ``embedder_.backbone_.new_network()`` for an
            adapter to train); the shared frozen network when None.

        Returns
        -------
        module : torch.nn.Module
            Maps ``embedder_.backbone_.prepare(x)`` to logits.
        """
        check_is_fitted(self)
        return _ProbeModule(self.embedder_.backbone_, self.scaler_, self.head_, network)

    # -- adaptation interface (sklearn_eegfm._adaptable; features: the head's input) --
    def adaptation_input(self, X):
        """Prepare epochs as the network's input, for test-time adaptation.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        x : torch.Tensor, shape (n_epochs, n_model_channels, n_model_times)
            Float32 input of :meth:`adaptation_module` (contract preprocessing applied).
        """
        check_is_fitted(self)
        ed = self.embedder_._validate_epochs(X, reset=False)
        return self.embedder_.backbone_.prepare(ed.data).float()

    def adaptation_module(self):
        """Build an independent torch copy of the probe, for test-time adaptation.

        Returns
        -------
        module : torch.nn.Module
            A new network (rebuilt from the contract and the weights, not the shared
            frozen one) with the standardisation and the head; maps
            :meth:`adaptation_input` to logits, one column per class of ``classes_``
            (two for a binary head). ``module.features(x)`` is the standardised pooled
            embedding and ``module.classifier`` the final ``nn.Linear``. Eval mode.
        """
        check_is_fitted(self)
        network = self.embedder_.backbone_.new_network()
        module = _ProbeModule(
            self.embedder_.backbone_, self.scaler_, self.head_, network, all_columns=True
        )
        return module.float().eval()


def fit_frozen_embedder(probe, X, y, *, min_classes=1):
    """Fit a probe's frozen embedder on ``X`` and return its standardised embeddings.

    Shared by :class:`LinearProbe` and :class:`RidgeProbe`: the embedder takes the
    probe's parameters of the same names, ``X`` is validated once for both steps, and
    ``embedder_``, ``scaler_``, ``pretrained_`` and the ``*_in_`` input description are
    set on the probe.

    Parameters
    ----------
    probe : LinearProbe | RidgeProbe
        The probe being fitted.
    X : mne.Epochs | list of mne.Epochs | ndarray
        Training epochs.
    y : array-like
        Labels.
    min_classes : int
        Fewest distinct labels the probe's head can be fitted on.

    Returns
    -------
    y : ndarray
        The labels, checked.
    Z : ndarray, shape (n_epochs, n_features)
        Standardised embeddings.
    """
    y = check_labels(probe, y)
    check_one_label_per_epoch(n_epochs_of(X), y)
    classes = np.unique(y)
    if len(classes) < min_classes:
        raise ValueError(
            f"{type(probe).__name__} needs at least {min_classes} classes; y holds only "
            f"{len(classes)} class: "
            f"{classes.tolist()}."
        )
    params = FMEmbedder().get_params()
    probe.embedder_ = FMEmbedder(**{k: getattr(probe, k) for k in params})
    Z = probe.embedder_.fit_transform(X)
    for name in ("ch_names_in_", "sfreq_in_", "n_channels_in_", "n_times_in_", "n_features_in_"):
        setattr(probe, name, getattr(probe.embedder_, name))
    probe.scaler_ = StandardScaler().fit(Z)
    probe.pretrained_ = probe.embedder_.pretrained_
    return y, probe.scaler_.transform(Z)


def _ProbeModule(backbone, scaler, head, network=None, all_columns=False):
    import torch
    from torch import nn

    class ProbeModule(nn.Module):
        """Backbone -> pooling -> standardisation -> linear head, in torch."""

        def __init__(self):
            super().__init__()
            self.backbone = backbone.model if network is None else network
            n_out = head.coef_.shape[0]
            self.register_buffer("mean", torch.tensor(scaler.mean_, dtype=torch.float32))
            self.register_buffer("scale", torch.tensor(scaler.scale_, dtype=torch.float32))
            coef, intercept = head.coef_, head.intercept_
            if all_columns and n_out == 1:
                # One logit w.z + b as two softmax columns: softmax([-l/2, l/2]) is
                # (1 - sigmoid(l), sigmoid(l)), so probabilities are unchanged.
                coef = np.vstack([-coef / 2, coef / 2])
                intercept = np.r_[-intercept, intercept] / 2
                n_out = 2
            self.head = nn.Linear(head.coef_.shape[1], n_out)
            with torch.no_grad():
                self.head.weight.copy_(torch.as_tensor(coef, dtype=torch.float32))
                self.head.bias.copy_(torch.as_tensor(intercept, dtype=torch.float32))

        @property
        def classifier(self):
            return self.head

        def features(self, x):
            z = backbone.pool(*backbone.tokens(x, self.backbone)).float()
            return (z - self.mean) / self.scale

        def forward(self, x):
            return self.head(self.features(x))

    return ProbeModule()
