"""Built networks shared by the clones of an estimator (CV folds, grid points).

A :class:`NetworkCache` is an object: whoever creates one owns it and passes it to
estimators (``network_cache=``); the process-wide default, :data:`SHARED_NETWORKS`, is
what ``network_cache="shared"`` means. Each holds at most ``max_networks`` frozen
networks (least recently used dropped first) and the embedding size of each
(network, pooling), so that fitting a clone runs no forward pass.
"""

from __future__ import annotations

import threading

from .._memo import BoundedMemo


def _checksum(module):
    # Every in-place change of a tensor bumps its version counter, so this detects a
    # shared network that someone trained, at no cost. Parameters only: CodeBrain's S4
    # layers legitimately fill buffers on their first forward.
    return tuple(p._version for p in module.parameters())


def freeze(model):
    """Put a shared network in eval mode with gradients off (nothing may train it).

    Parameters
    ----------
    model : torch.nn.Module
        The network.

    Returns
    -------
    model : torch.nn.Module
        The same network, frozen.
    """
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


class NetworkCache:
    """Frozen networks keyed by (model, build arguments, weights, device, dtype), LRU-bounded.

    Parameters
    ----------
    max_networks : int
        How many networks are kept; the least recently used is dropped first (it stays
        alive as long as a fitted estimator holds it).

    Examples
    --------
    >>> from sklearn_eegfm.models import FMEmbedder, NetworkCache
    >>> networks = NetworkCache(max_networks=2)
    >>> emb = FMEmbedder("cbramod", weights=None, network_cache=networks)
    """

    def __init__(self, max_networks=16):
        self.max_networks = max_networks
        self._networks = BoundedMemo(max_networks)
        self._n_features = BoundedMemo(16 * max_networks)
        self._lock = threading.Lock()

    def network(self, key, build):
        """Return the cached network of ``key``, building it with ``build()`` on a miss.

        A cached network whose parameters were changed in place since it was stored is
        a miss (rebuilt), never returned.

        Parameters
        ----------
        key : tuple
            What defines the network.
        build : callable
            Returns a new network (frozen here).

        Returns
        -------
        model : torch.nn.Module
            Frozen, shared by every caller with the same key.
        """
        with self._lock:
            cached = self._networks.get(key)
            if cached is not None and _checksum(cached[0]) == cached[1]:
                return cached[0]
            model = freeze(build())
            self._networks.set(key, (model, _checksum(model)))
            return model

    def n_features(self, key, compute):
        """Return the memoised embedding size of ``key``, from ``compute()`` on a miss.

        Parameters
        ----------
        key : tuple
            (network key, pooling).
        compute : callable
            Returns the size.

        Returns
        -------
        n_features : int
            The embedding size.
        """
        value = self._n_features.get(key)
        if value is None:
            value = int(compute())
            self._n_features.set(key, value)
        return value

    def clear(self):
        """Forget every network and size."""
        self._networks.clear()
        self._n_features.clear()

    def __len__(self):
        return len(self._networks)

    def __repr__(self):
        return f"NetworkCache(max_networks={self.max_networks})"

    # Clones share the cache they were given (scikit-learn's clone deep-copies
    # parameters); a pickled estimator gets an empty cache of the same bound.
    def __deepcopy__(self, memo):
        return self

    def __getstate__(self):
        return {"max_networks": self.max_networks}

    def __setstate__(self, state):
        self.__init__(state["max_networks"])


#: The process-wide default behind ``network_cache="shared"``.
SHARED_NETWORKS = NetworkCache()


def resolve_network_cache(value):
    """Turn an estimator's ``network_cache`` parameter into a cache object or None.

    Parameters
    ----------
    value : "shared" | NetworkCache | None
        The parameter.

    Returns
    -------
    cache : NetworkCache | None
        None builds a private network for this estimator.
    """
    if value is None or isinstance(value, NetworkCache):
        return value
    if isinstance(value, str) and value == "shared":
        return SHARED_NETWORKS
    raise ValueError(
        f"network_cache must be 'shared', a NetworkCache or None; got {value!r}. "
        "Pass NetworkCache(max_networks=...) for a cache of your own."
    )
