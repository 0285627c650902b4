"""Every input the network sees is part of the embedding-cache key (PITFALLS 16)."""

import numpy as np
import pytest

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models._cache import EmbeddingCache

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture(autouse=True)
def fresh_cache():
    EmbeddingCache.clear_memory()
    yield
    EmbeddingCache.clear_memory()


def _positioned(make_epochs, swap=False):
    """Epochs whose positions REVE must take from the montage.

    REVE looks template names up in its position bank and ignores their montage
    positions; names outside it (here EGI-like labels placed where Fz, Cz, Pz, Oz sit)
    come from the montage, so the montage feeds the network and must key the cache.
    """
    import mne

    from sklearn_eegfm.datasets import standard_montage

    names = ("E1", "E2", "E3", "E4")
    epochs = make_epochs(
        n_epochs=3, ch_names=names, sfreq=200.0, n_times=200, metadata=False, montage=False
    )
    template = standard_montage().get_positions()["ch_pos"]
    pos = {n: template[t] for n, t in zip(names, ("Fz", "Cz", "Pz", "Oz"))}
    epochs.set_montage(mne.channels.make_dig_montage(pos, coord_frame="head"))
    if swap:  # the same montage with x and y exchanged
        for ch in epochs.info["chs"]:
            ch["loc"][[0, 1]] = ch["loc"][[1, 0]]
    return epochs


def test_reve_cache_misses_when_positions_change(make_epochs):
    first = FMEmbedder("reve", weights=None).fit_transform(_positioned(make_epochs))
    swapped = _positioned(make_epochs, swap=True)
    cached = FMEmbedder("reve", weights=None).fit_transform(swapped)
    fresh = FMEmbedder("reve", weights=None, cache=None).fit_transform(swapped)
    assert not np.allclose(first, fresh)  # positions matter to REVE...
    np.testing.assert_allclose(cached, fresh, atol=1e-5)  # ...so the cache must not answer


def test_key_covers_positions_dtype_device_and_policies(p300_long):
    base = FMEmbedder("cbramod", weights=None).fit(p300_long[:2])
    key = base._cache_key()
    assert (
        FMEmbedder("cbramod", weights=None, dtype="float64").fit(p300_long[:2])._cache_key() != key
    )
    moved = p300_long[:2].copy()
    for ch in moved.info["chs"]:
        ch["loc"][:3] = ch["loc"][:3] * 1.1
    assert FMEmbedder("cbramod", weights=None).fit(moved)._cache_key() == key  # unused by cbramod
    pad = FMEmbedder("cbramod", weights=None, length_policy="pad").fit(p300_long[:2])
    assert pad._cache_key() != key


def test_key_covers_the_positions_of_position_models(make_epochs):
    a = FMEmbedder("reve", weights=None).fit(_positioned(make_epochs))
    b = FMEmbedder("reve", weights=None).fit(_positioned(make_epochs, swap=True))
    assert a._cache_key() != b._cache_key()


def test_float64_after_float32_in_one_process(p300_long):
    x32 = FMEmbedder("cbramod", weights=None, cache=None).fit_transform(p300_long[:2])
    x64 = FMEmbedder("cbramod", weights=None, cache=None, dtype="float64").fit_transform(
        p300_long[:2]
    )
    np.testing.assert_allclose(x32, x64, atol=1e-3)
    import torch

    # the cache is keyed by dtype: the float64 embedder does not get the float32 network
    first = FMEmbedder("cbramod", weights=None).fit(p300_long[:2])
    assert next(first.model_.parameters()).dtype == torch.float32
    wide = FMEmbedder("cbramod", weights=None, dtype="float64").fit(p300_long[:2])
    assert {p.dtype for p in wide.model_.parameters()} == {torch.float64}


@pytest.mark.parametrize(
    ("param", "value", "match"),
    [("dtype", "foo", "dtype"), ("device", "bogus", "device"), ("dtype", "int64", "dtype")],
)
def test_bad_dtype_and_device_fail_in_fit(p300_long, param, value, match):
    emb = FMEmbedder("cbramod", weights=None, **{param: value})
    with pytest.raises(ValueError, match=match):
        emb.fit(p300_long[:2])


def test_unavailable_device_is_named(p300_long):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="cuda.*not available"):
        FMEmbedder("cbramod", weights=None, device="cuda").fit(p300_long[:2])


def test_key_fixed_at_fit_is_recomputed_under_another_package_version(p300_long):
    # fit computes the key once for every transform of its CV fold; an estimator pickled
    # by another version of the package must not reuse that version's key (and entries)
    emb = FMEmbedder("cbramod", weights=None).fit(p300_long[:2])
    key = emb._cache_key()
    assert emb._compute_cache_key() == key
    emb._setting_key = ("0.0.0-another-version", "stale")
    assert emb._cache_key() == key
