"""The on-disk embedding cache survives torn, foreign and unwritable entries."""

import os
import stat

import numpy as np
import pytest

from sklearn_eegfm import FMEmbedder
from sklearn_eegfm.models import _cache
from sklearn_eegfm.models._cache import EmbeddingCache

CacheWarning = _cache.CacheWarning

pytestmark = pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning")


@pytest.fixture(autouse=True)
def fresh_cache():
    EmbeddingCache.clear_memory()
    yield
    EmbeddingCache.clear_memory()


@pytest.fixture
def filled(p300_long, tmp_path):
    """An embedder with a disk cache holding the first four epochs, and their embeddings."""
    emb = FMEmbedder("cbramod", weights=None, cache=tmp_path).fit(p300_long[:4])
    Z = emb.transform(p300_long[:4])
    files = sorted(tmp_path.rglob("*.npy"))
    assert len(files) == 4
    return emb, Z, files


def _bad_entry(kind, n_features):
    import io

    buf = io.BytesIO()
    if kind == "empty":
        return b""
    if kind == "wrong-shape":
        np.save(buf, np.zeros(n_features + 3, np.float32))
    elif kind == "nan":
        np.save(buf, np.full(n_features, np.nan, np.float32))
    elif kind == "huge":
        np.save(buf, np.full(n_features, 1e9, np.float32))
    elif kind == "truncated":
        np.save(buf, np.zeros(n_features, np.float32))
        return buf.getvalue()[:-7]
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["empty", "wrong-shape", "nan", "huge", "truncated"])
def test_bad_entries_are_misses_and_get_rewritten(filled, p300_long, kind):
    emb, Z, files = filled
    files[0].write_bytes(_bad_entry(kind, Z.shape[1]))
    EmbeddingCache.clear_memory()
    again = emb.transform(p300_long[:4])
    assert np.isfinite(again).all()
    np.testing.assert_allclose(again, Z, rtol=1e-4, atol=1e-4)
    assert emb.cache_info() == {"hits": 3, "misses": 1}
    EmbeddingCache.clear_memory()
    emb.transform(p300_long[:4])  # the rewritten entry is valid now
    assert emb.cache_info() == {"hits": 4, "misses": 0}


def test_unwritable_folder_warns_and_returns_the_embeddings(p300_long, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(_cache.tempfile, "mkstemp", refuse)
    emb = FMEmbedder("cbramod", weights=None, cache=tmp_path, batch_size=2).fit(p300_long[:4])
    with pytest.warns(CacheWarning, match="cannot write.*continuing without"):
        Z = emb.transform(p300_long[:4])
    assert Z.shape[0] == 4 and np.isfinite(Z).all()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores modes")
def test_read_only_folder_warns(p300_long, tmp_path):
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        emb = FMEmbedder("cbramod", weights=None, cache=tmp_path).fit(p300_long[:2])
        with pytest.warns(CacheWarning, match="cannot write"):
            emb.transform(p300_long[:2])
    finally:
        tmp_path.chmod(stat.S_IRWXU)


def test_entries_respect_the_umask(filled):
    _, _, files = filled
    umask = os.umask(0)
    os.umask(umask)
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask


def test_each_batch_is_written_as_it_completes(p300_long, tmp_path, monkeypatch):
    emb = FMEmbedder("cbramod", weights=None, cache=tmp_path, batch_size=2).fit(p300_long[:6])
    calls = {"n": 0}
    embed = emb.backbone_.embed

    def crash_on_third(x, model=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # a kill after two batches
        return embed(x, model)

    monkeypatch.setattr(emb.backbone_, "embed", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        emb.transform(p300_long[:6])
    assert len(list(tmp_path.rglob("*.npy"))) == 4  # two finished batches kept


def test_memory_budget_holds_within_one_setting():
    store = EmbeddingCache("memory", max_bytes=10 * 400)
    rows = np.ones((50, 100), np.float32)  # 400 bytes a row, 20000 in all
    store.store("one-setting", [f"fp{i}" for i in range(50)], rows)
    assert store._memory_bytes <= 10 * 400
    assert sum(r.nbytes for t in store._memory.values() for r in t.values()) == (
        store._memory_bytes
    )
    # the newest rows are the ones kept
    assert store.lookup("one-setting", ["fp49"])[0] is not None
