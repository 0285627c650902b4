"""Caches are objects with an owner and a bound, passed to or turned off per estimator."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_eegfm import FMEmbedder, LinearProbe
from sklearn_eegfm.models import EmbeddingCache, NetworkCache
from sklearn_eegfm.models._cache import MEMORY_CACHE, resolve_cache
from sklearn_eegfm.models._network_cache import SHARED_NETWORKS, resolve_network_cache

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture
def epochs(make_epochs):
    return make_epochs(n_epochs=6, sfreq=200.0, n_times=200)


def test_an_estimators_own_embedding_cache_is_shared_by_its_clones_only(epochs):
    mine = EmbeddingCache(max_bytes=1024**2)
    emb = FMEmbedder("cbramod", weights=None, cache=mine).fit(epochs)
    twin = clone(emb)
    assert twin.cache is mine  # clone keeps the object it was given
    emb.transform(epochs)
    twin.fit(epochs).transform(epochs)
    assert twin.cache_info() == {"hits": 6, "misses": 6}
    assert mine.n_bytes == 6 * emb.n_features_out_ * 4
    # The process default saw none of it.
    assert MEMORY_CACHE.stats(emb._cache_key()) == {"hits": 0, "misses": 0}


def test_embedding_cache_is_bounded_least_recently_used_first():
    cache = EmbeddingCache(max_bytes=3 * 400)
    row = np.ones((1, 100), np.float32)  # 400 bytes
    for key in ("a", "b", "c"):
        cache.store(key, ["fp"], row)
    cache.lookup("a", ["fp"])  # "a" is now the most recently used
    cache.store("d", ["fp"], row)  # over budget: "b" goes
    assert [cache.lookup(k, ["fp"])[0] is not None for k in "abcd"] == [True, False, True, True]
    assert cache.n_bytes <= cache.max_bytes


def test_caching_can_be_turned_off_per_estimator(epochs):
    emb = FMEmbedder("cbramod", weights=None, cache=None).fit(epochs)
    emb.transform(epochs)
    assert emb.cache_info() == {"hits": 0, "misses": 0}
    assert resolve_cache(None) is None and resolve_cache("memory") is MEMORY_CACHE
    with pytest.raises(ValueError, match="cache must be"):
        FMEmbedder("cbramod", weights=None, cache=3).fit(epochs)


def test_network_cache_shares_bounds_and_turns_off(epochs):
    shared = FMEmbedder("cbramod", weights=None).fit(epochs)
    assert clone(shared).fit(epochs).model_ is shared.model_  # default: one per process
    mine = NetworkCache(max_networks=1)
    a = FMEmbedder("cbramod", weights=None, network_cache=mine).fit(epochs)
    assert a.model_ is not shared.model_ and len(mine) == 1
    assert clone(a).fit(epochs).model_ is a.model_
    FMEmbedder("cbramod", weights=None, random_state=1, network_cache=mine).fit(epochs)
    assert len(mine) == 1  # the bound holds: the older network was dropped
    assert FMEmbedder("cbramod", weights=None, network_cache=mine).fit(epochs).model_ is not (
        a.model_
    )
    private = FMEmbedder("cbramod", weights=None, network_cache=None).fit(epochs)
    assert private.model_ is not shared.model_
    np.testing.assert_array_equal(private.transform(epochs), shared.transform(epochs))
    assert resolve_network_cache("shared") is SHARED_NETWORKS
    with pytest.raises(ValueError, match="network_cache must be"):
        FMEmbedder("cbramod", weights=None, network_cache="private").fit(epochs)


def test_probes_pass_both_caches_to_their_embedder(epochs):
    networks, cache = NetworkCache(max_networks=2), EmbeddingCache()
    y = np.array([0, 1] * 3)
    probe = LinearProbe("cbramod", weights=None, cache=cache, network_cache=networks)
    probe.fit(epochs, y)
    assert probe.embedder_.cache is cache and len(networks) == 1


def test_pickled_caches_keep_their_bound_not_their_contents():
    cache = EmbeddingCache(max_bytes=4000)
    cache.store("k", ["fp"], np.ones((1, 10), np.float32))
    again = pickle.loads(pickle.dumps(cache))
    assert again.max_bytes == 4000 and again.n_bytes == 0 and again is not cache
    networks = pickle.loads(pickle.dumps(NetworkCache(max_networks=3)))
    assert networks.max_networks == 3 and len(networks) == 0
