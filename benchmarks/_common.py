"""Shared helpers for the benchmark scripts (not part of the package)."""

import time
import warnings
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def quiet():
    from sklearn_eegfm import RandomWeightsWarning

    warnings.simplefilter("ignore", RandomWeightsWarning)


def best_of(*fns, repeat=9):
    """Best wall time of each function over ``repeat`` interleaved rounds.

    Interleaving makes a ratio between the functions robust to load that comes and goes.
    """
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def p300_epochs(n=None, tmax=1.0):
    from sklearn_eegfm.datasets import read_muse_csv

    epochs = read_muse_csv(SHARED / "eeg-notebooks" / "visual_p300" / "subject1", tmax=tmax)
    return epochs if n is None else epochs[:n]


def mmi_epochs():
    from sklearn_eegfm.datasets import load_eegmmidb

    return load_eegmmidb(SHARED / "eegmmidb" / "S001", runs=(4, 8, 12))


def epochs_per_second(name, epochs, batch_size=16):
    """Fit ``FMEmbedder(name)`` (random weights, interpolated channels) and time one
    ``transform`` of ``epochs`` after a warm-up: ``(embedder, epochs per second)``."""
    from sklearn_eegfm import FMEmbedder

    emb = FMEmbedder(
        name, weights=None, channel_policy="interpolate", cache=None, batch_size=batch_size
    ).fit(epochs)
    emb.transform(epochs[:4])  # warm-up
    t0 = time.perf_counter()
    emb.transform(epochs)
    return emb, len(epochs) / (time.perf_counter() - t0)
