"""FMEmbedder: a pretrained EEG foundation model as a scikit-learn transformer."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._data import EpochsInputMixin
from .._memo import BoundedMemo
from .._progress import report
from .._validation import check_positive
from .._version import __version__
from ..utils._docs import fill_doc
from ..utils._warnings import RandomWeightsWarning, user_line, warn_at_user
from ._backbone import Backbone
from ._cache import resolve_cache, setting_key
from ._network_cache import resolve_network_cache
from ._registry import get_contract
from ._weights import resolve_weights

# (model, seed, user's file, line) already warned about, at most 4096 of them.
# scikit-learn's internal catch_warnings blocks reset Python's once-per-location
# registry, so cross_val_score would repeat the warning for every fold; keyed by the
# user's line, it is said once per line that starts the fits (as Python's "default"
# action would), and again for a new line (e.g. an explicit pytest.warns check). A
# joblib worker, whose stack holds no user frame, says it once.
_RANDOM_WARNED = BoundedMemo(4096)


def _warn_random_once(key, message):
    key = (*key, user_line())
    if key in _RANDOM_WARNED:
        return
    _RANDOM_WARNED.add(key)
    # Point at the user's fit/cross_val_score line, not at scikit-learn's wrappers.
    warn_at_user(message, RandomWeightsWarning)


@fill_doc
class FMEmbedder(
    EpochsInputMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Embed EEG epochs with a pretrained foundation model.

    ``fit`` trains nothing: it reads the data's channels, rate and length, plans how to
    bring them to the model's input contract (resampling, channel mapping, cropping,
    scaling), loads the weights and records every step in ``contract_report_``.
    ``transform`` returns one embedding per epoch, streaming batches through the frozen
    network and reusing cached embeddings of epochs it has already seen.

    Parameters
    ----------
    %(model)s
    %(weights)s
    %(pooling)s
    %(channel_policy)s
    %(length_policy)s
    %(batch_size)s
    %(device)s
    %(dtype)s
    %(cache)s
    %(network_cache)s
    %(random_state)s
    %(sfreq)s
    %(ch_names)s
    %(units)s
    %(verbose)s

    Attributes
    ----------
    contract_ : FMContract
        The model's input contract.
    backbone_ : Backbone
        The input plan and the frozen network.
    model_ : torch.nn.Module
        The braindecode network (eval mode, no gradients). Shared with clones; use
        ``backbone_.new_network()`` for a copy to train.
    contract_report_ : dict
        What was done to the data and which weights were used.
    preprocessing_ : list of str
        The preprocessing steps, in order.
    pretrained_ : bool
        False when the network is randomly initialised (``weights=None``).
    weights_sha256_ : str | None
        Hash of the loaded checkpoint.
    weights_licence_ : str
        Licence of the weights, from the contract.
    n_features_out_ : int
        Embedding size.
    ch_names_in_, sfreq_in_, n_channels_in_, n_times_in_ :
        Channels, rate and epoch length seen in ``fit``.

    See Also
    --------
    LinearProbe : the embedder plus a standardised, regularised logistic head.
    list_models : every available model and its contract.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn_eegfm import FMEmbedder
    >>> from sklearn_eegfm.datasets import load_p300_demo
    >>> epochs = load_p300_demo()[:40]
    >>> emb = FMEmbedder("cbramod", weights=None)  # random weights: only a demo
    >>> X = emb.fit_transform(epochs)  # doctest: +SKIP
    """

    def __init__(
        self,
        model="cbramod",
        *,
        weights="auto",
        pooling="auto",
        channel_policy="auto",
        length_policy="auto",
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

    def fit(self, X, y=None):
        """Plan the input contract for ``X`` and load the model.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : None
            Ignored.

        Returns
        -------
        self : FMEmbedder
            The fitted embedder.
        """
        check_positive("batch_size", self.batch_size, integer=True)
        self._fit(self._validate_epochs(X, reset=True))
        return self

    def fit_transform(self, X, y=None):
        """Fit to ``X`` and embed it, validating the epochs once.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs; arrays need ``sfreq``, ``ch_names`` and ``units``.
        y : None
            Ignored.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_features_out_)
            The embeddings (float32).
        """
        ed = self._validate_epochs(X, reset=True)
        self._fit(ed)
        return self._transform(ed)

    def _fit(self, ed):
        self.contract_ = get_contract(self.model)
        resolve_cache(self.cache)  # a bad value fails in fit, not in transform
        networks = resolve_network_cache(self.network_cache)
        source = resolve_weights(self.contract_, self.weights)
        self.backbone_ = Backbone(
            self.contract_,
            ed,
            source,
            channel_policy=self.channel_policy,
            length_policy=self.length_policy,
            pooling=self.pooling,
            random_state=self.random_state,
            device=self.device,
            dtype=self.dtype,
            networks=networks,
        )
        self.pretrained_ = source.pretrained
        self.weights_sha256_ = self.backbone_.weights_sha256
        self.weights_licence_ = self.contract_.licence
        if not self.pretrained_:
            _warn_random_once(
                (self.contract_.name, self.backbone_.seed),
                f"{self.contract_.name} runs with RANDOM weights (weights=None, seed "
                f"{self.backbone_.seed}): its embeddings are not those of the pretrained "
                "model and results must not be reported as such.",
            )
        self.n_features_out_ = self._n_features_out = self.backbone_.n_features(ed.data, networks)
        self.preprocessing_ = list(self.backbone_.report)
        self.contract_report_ = {
            **self.backbone_.describe(ed),
            "braindecode_class": self.contract_.model_cls,
            "weights": "random (not pretrained)" if not source.pretrained else str(source.path),
            "weights_origin": source.origin,
            "weights_sha256": self.weights_sha256_,
            "weights_licence": self.weights_licence_,
            "pooling": self.backbone_.pooling,
            "n_features_out": self.n_features_out_,
        }
        # The input's channels and rate as fit saw them (transform refuses others).
        self._setting_key = (__version__, self._compute_cache_key(ed.ch_names, ed.sfreq))

    def _cache_key(self):
        # Computed once in fit (every CV fold and grid point calls transform); a
        # pickled estimator unpickled under another package version recomputes it.
        memo = self.__dict__.get("_setting_key")
        if memo is not None and memo[0] == __version__:
            return memo[1]
        return self._compute_cache_key()

    def _compute_cache_key(self, ch_names=None, sfreq=None):
        # Every input of the forward pass besides the epochs' samples (PITFALLS 16):
        # the network (its build arguments, weights, dtype, device), the channel map,
        # positions and model-specific inputs derived from info, the time plan.
        b = self.backbone_
        mapping = None if b.mapping is None else b.mapping.matrix.round(8)
        return setting_key(
            __version__,
            self.contract_,
            b.weights_sha256 or f"random:{b.seed}",
            b.pooling,
            b.n_times,
            b.up,
            b.down,
            mapping,
            list(self.ch_names_in_ if ch_names is None else ch_names),
            self.sfreq_in_ if sfreq is None else sfreq,
            self.dtype,
            str(self.device),
            list(b.model_ch_names),
            b.positions,
            b.extra,
            getattr(b, "network_key", None),
        )

    def transform(self, X):
        """Embed epochs.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | ndarray, shape (n_epochs, n_channels, n_times)
            Epochs with the channels and rate seen in ``fit``.

        Returns
        -------
        X_new : ndarray, shape (n_epochs, n_features_out_)
            The embeddings (float32).
        """
        check_is_fitted(self)
        return self._transform(self._validate_epochs(X, reset=False))

    def _transform(self, ed):
        store = resolve_cache(self.cache)
        if store is None:
            return self._embed(ed.data)
        key = self._cache_key()
        fps = ed.fingerprints
        rows = store.lookup(key, fps, self.n_features_out_)
        todo = [i for i, r in enumerate(rows) if r is None]
        out = np.empty((ed.n_epochs, self.n_features_out_), np.float32)
        done = [i for i, r in enumerate(rows) if r is not None]
        if done:
            out[done] = np.stack([rows[i] for i in done])
        if todo:

            def keep(start, emb):  # each batch is stored as it completes
                idx = todo[start : start + len(emb)]
                out[idx] = emb
                store.store(key, [fps[i] for i in idx], emb)

            self._embed(ed.data[todo], on_batch=keep)
        return out

    def _embed(self, data, on_batch=None):
        from tqdm.auto import tqdm

        starts = range(0, len(data), self.batch_size)
        show = bool(self.verbose) and len(starts) > 1
        out = np.empty((len(data), self.n_features_out_), np.float32)
        stage = f"embedding {self.contract_.name}"
        for i, s in enumerate(
            tqdm(starts, desc=f"{self.contract_.name} embedding", disable=not show, unit="batch")
        ):
            batch = data[s : s + self.batch_size]
            emb = self.backbone_.embed(self.backbone_.prepare(batch))
            out[s : s + len(batch)] = emb.float().cpu().numpy()
            if on_batch is not None:
                on_batch(s, out[s : s + len(batch)])
            report(stage, i + 1, len(starts), "batch")  # for a comparison's status line
        return out

    def cache_info(self):
        """Embedding-cache hits and misses for this estimator's setting.

        Returns
        -------
        info : dict
            ``{"hits": int, "misses": int}``, counted over every clone sharing the
            setting and the cache (zeros when caching is off).
        """
        check_is_fitted(self)
        store = resolve_cache(self.cache)
        if store is None:
            return {"hits": 0, "misses": 0}
        return store.stats(self._cache_key())

    @property
    def model_(self):
        """The frozen braindecode network (shared by clones; see ``backbone_.new_network``)."""
        check_is_fitted(self)
        return self.backbone_.model

    def __sklearn_is_fitted__(self):
        return "backbone_" in self.__dict__

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # embeddings in the network's dtype
        return tags


def planned_network(estimator, X):
    """Return the frozen network that fitting ``estimator`` on ``X`` would build.

    For checks that must run before a long fit (an adapter asking whether the network
    has BatchNorm layers): the input is planned and the network built (or taken from
    the cache of built networks) as ``fit`` would, and nothing is set on ``estimator``.

    Parameters
    ----------
    estimator : LinearProbe | RidgeProbe | FMClassifier
        An estimator with :class:`FMEmbedder`'s parameters, fitted or not.
    X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
        The epochs it would be fitted on.

    Returns
    -------
    network : torch.nn.Module
        The shared frozen network (eval mode; do not train it).
    """
    params = {k: getattr(estimator, k) for k in FMEmbedder().get_params() if k != "cache"}
    embedder = FMEmbedder(**params, cache=None)
    embedder._fit(embedder._validate_epochs(X, reset=True))
    return embedder.backbone_.model


class PlannedNetworkMixin:
    """``planned_network(X)`` for the estimators that take :class:`FMEmbedder`'s parameters."""

    def planned_network(self, X):
        """Return the frozen network that ``fit(X)`` would use, without fitting.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            The epochs it would be fitted on.

        Returns
        -------
        network : torch.nn.Module
            The shared frozen network (see :func:`planned_network`).
        """
        return planned_network(self, X)
