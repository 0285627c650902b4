"""The CUDA and mixed-precision paths, run where a CUDA device is present.

Skipped cleanly on CPU-only machines (CI, contributors' laptops); nothing else in the
suite depends on a GPU. Run alone with ``python -m pytest -m gpu``.
"""

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn_eegfm import FMClassifier, FMEmbedder, TENTAdapter  # noqa: E402
from sklearn_eegfm.adaptation import AdaptationCollapseWarning  # noqa: E402
from sklearn_eegfm.models import CONTRACTS  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.real_data,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
    pytest.mark.filterwarnings("ignore::sklearn_eegfm.RandomWeightsWarning"),
    # 1.1-s epochs are a few samples short of SignalJEPA's minimum: padded alike on both
    pytest.mark.filterwarnings("ignore:Epochs of .* are shorter:UserWarning"),
]


@pytest.fixture(scope="module")
def p300_16(p300_long):
    """16 real P300 epochs of 1.1 s, 8 per class (4 Muse channels, 256 Hz)."""
    y = p300_long.metadata["target"].to_numpy()
    keep = sorted([*np.flatnonzero(y == 1)[:8], *np.flatnonzero(y == 0)[:8]])
    return p300_long[keep], y[keep]


def _relative(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_embedder_on_cuda_equals_cpu(name, p300_16):
    X, _ = p300_16
    kw = dict(weights=None, channel_policy="interpolate", cache=None)
    cpu = FMEmbedder(name, **kw).fit_transform(X)
    gpu = FMEmbedder(name, device="cuda", **kw).fit_transform(X)
    assert gpu.dtype == cpu.dtype and gpu.shape == cpu.shape
    assert _relative(gpu, cpu) <= 1e-4


def test_cache_keys_device_and_dtype(p300_16):
    X, _ = p300_16
    cpu = FMEmbedder("cbramod", weights=None).fit(X)
    cpu.transform(X)
    gpu = FMEmbedder("cbramod", weights=None, device="cuda").fit(X)
    gpu.transform(X)  # same epochs, same weights, another device: recomputed
    assert gpu.cache_info()["misses"] == len(X) and gpu.cache_info()["hits"] == 0
    half = FMEmbedder("cbramod", weights=None, device="cuda", dtype="float64").fit(X)
    half.transform(X)
    assert half.cache_info()["hits"] == 0


def test_lora_with_amp_trains_and_predicts_on_cuda(p300_16):
    X, y = p300_16
    clf = FMClassifier(
        "cbramod",
        finetune="lora",
        weights=None,
        amp=True,
        device="cuda",
        max_epochs=2,
        valid_size=None,
        batch_size=8,
        random_state=0,
    ).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    lora = [p for n, p in clf.module_.named_parameters() if "lora_B" in n]
    # LoRA's B matrices start at zero: non-zero after fit means the adapters trained
    assert lora and any(float(p.detach().abs().sum()) > 0 for p in lora)
    assert all(p.device.type == "cuda" for p in lora)


def test_tent_adapts_on_cuda(p300_16):
    X, y = p300_16
    groups = np.repeat([1, 2], len(y) // 2)
    base = FMClassifier(
        "cbramod",
        finetune="head",
        weights=None,
        device="cuda",
        max_epochs=2,
        valid_size=None,
        batch_size=8,
        random_state=0,
    )
    tent = TENTAdapter(base, steps=2, min_epochs=4, collapse="rollback").fit(X, y)
    with warnings.catch_warnings():  # random weights on 8 epochs may collapse: rolled back
        warnings.simplefilter("ignore", AdaptationCollapseWarning)
        tent.predict(X, groups=groups)
    report = tent.adaptation_report_
    assert report and all(r["steps"] > 0 for r in report.values())
